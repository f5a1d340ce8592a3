"""An SMTP sink for the surge bench: accepts every mail and writes one line per recipient, "<unix time> <address>",
to the file it is given. Its own process, so that receiving never competes with the load for one interpreter.

    python -m bench.sink PORT OUTFILE
"""

import asyncio
import sys
import time

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        self.out.write("".join(f"{now:.6f} {address}\n" for address in envelope.rcpt_tos))
        self.out.flush()
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", buffering=1) as out:
        controller = Controller(Recorder(out), hostname="127.0.0.1", port=port)
        controller.start()
        print("sink ready", flush=True)
        try:
            asyncio.run(asyncio.Event().wait())
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
