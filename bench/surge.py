"""The surge of issue 21: signatures posted at a steady rate through the real sign POST, their confirmation mails sent
by a real worker (started as the README says) to a local SMTP sink, everything on this one machine.

Reports signatures accepted, confirmation mails received (and any received twice), the drain rate over the sign
rate, and p50/p95/p99 of the time from a POST being sent to the sink accepting its mail. A second surge runs while a
coalition update to BENCH_SURGE_MEMBERS members is being sent on the `bulk` queue; the confirmations' p95 is compared
with the first. Then the drain rate alone: mails queued while no worker runs, then one worker started.

Environment: BENCH_SURGE_SECONDS (300), BENCH_SURGE_RATE (330 a second), BENCH_SURGE_MEMBERS (50,000),
BENCH_DRAIN_MAILS (3,000).
"""

import http.client
import itertools
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURGE_SECONDS = int(os.environ.get("BENCH_SURGE_SECONDS", "300"))
SURGE_RATE = float(os.environ.get("BENCH_SURGE_RATE", "330"))
SURGE_MEMBERS = int(os.environ.get("BENCH_SURGE_MEMBERS", "50000"))
DRAIN_MAILS = int(os.environ.get("BENCH_DRAIN_MAILS", "3000"))
# Enough requests in flight to hold the rate while some wait for a free gunicorn worker.
CLIENT_THREADS = 32
# Mails still on their way once the POSTs stop: how long to wait for the last of them before calling them lost.
DRAIN_GRACE = 180
P95_TARGET_S = 10
P95_MOVE_LIMIT = 0.20
MEMBER_DOMAIN = "members.surge.bench.example.org"
SIGN_FORM = {"name": "Surge Signer", "craft": "writer", "consent": "on", "public": "on", "country": "FR"}


def say(message):
    print(f"--- {message}", flush=True)


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


class Sink:
    """bench/sink.py in its own process; `received()` reads what it has accepted so far."""

    def __init__(self, workdir, port):
        self.port, self.path = port, workdir / "sink.log"
        self.path.touch()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.sink", str(port), str(self.path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "sink ready":
            sys.exit("the SMTP sink did not start")

    def received(self, prefix):
        """{address: [times it was received]} for addresses starting with `prefix`."""
        seen = {}
        with open(self.path) as log:
            for line in log:
                when, _, address = line.rstrip("\n").partition(" ")
                if address.startswith(prefix):
                    seen.setdefault(address, []).append(float(when))
        return seen

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Worker:
    """`celery -A coalition worker -Q mail,default,bulk` as the README starts it, on the bench's services."""

    def __init__(self, workdir, env):
        self.log, self.env, self.process = workdir / "worker.log", env, None

    def start(self):
        from coalition.celery import app

        with open(self.log, "a") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "coalition",
                    "worker",
                    "-Q",
                    "mail,default,bulk",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the worker exited; see {self.log}")
            if app.control.ping(timeout=1.0):
                return
        sys.exit(f"the worker did not answer a ping in 60 s; see {self.log}")

    def cpu_seconds(self):
        """CPU time the worker and its pool processes have used so far (Linux /proc): what a mail costs the worker,
        whatever else shares the machine."""
        clock = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            # fields[1] is the parent's pid; [11] and [12] user and system time, in clock ticks.
            if int(pid) == self.process.pid or int(fields[1]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
        return total / clock

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def post_signatures(port, tokens, run, count, rate):
    """POST `count` signatures at `rate` a second (as fast as answered when rate is None).
    Returns ({address: time its POST was sent}, seconds the posting took, failed POSTs)."""
    sent, failed, lock = {}, [], threading.Lock()
    numbers = itertools.count()
    started = time.time()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                number = next(numbers)
            if number >= count:
                break
            if rate:
                delay = started + number / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
            address = f"{run}-{number}@d{number % 500}.post.bench.example.org"
            body = urllib.parse.urlencode({**tokens["fields"], **SIGN_FORM, "email": address})
            headers = {"Content-Type": "application/x-www-form-urlencoded", **tokens["headers"]}
            when = time.time()
            try:
                connection.request("POST", "/", body, headers)
                response = connection.getresponse()
                response.read()
                ok = response.status in (302, 303)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            with lock:
                if ok:
                    sent[address] = when
                else:
                    failed.append(address)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent, time.time() - started, len(failed)


def wait_for_mail(sink, run, expected, grace=DRAIN_GRACE):
    """Until every expected address has its mail, or nothing new arrived for `grace` seconds."""
    last, last_change = -1, time.monotonic()
    while True:
        got = len(sink.received(run))
        if got >= expected:
            return
        if got != last:
            last, last_change = got, time.monotonic()
        elif time.monotonic() - last_change > grace:
            return
        time.sleep(1)


def settle(timeout=600):
    """Until the worker has turned every waiting submission into its mail and sent every confirmation owed: the sign
    POST line and the timing probe store thousands of submissions with no worker running, and a surge that starts
    behind them measures their backlog, never caught up on a box the surge saturates, instead of its own. Then the
    dead rows earlier runs left are vacuumed, so that each surge starts from the same state."""
    from coalition.mail.kinds import mail_kinds_on
    from coalition.mail.models import OutgoingMail
    from coalition.signatures.models import Submission
    from coalition.signatures.submissions import submission_enqueue

    def owed():
        mails = OutgoingMail.objects.filter(
            status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING], kind__in=mail_kinds_on("mail")
        )
        return Submission.objects.count() + mails.count()

    left = owed()
    if left:
        say(f"the worker first clears {left:,} submissions and mails left before it")
        submission_enqueue(None)  # their own task may have lapsed while no worker ran
        deadline = time.monotonic() + timeout
        while owed() and time.monotonic() < deadline:
            time.sleep(1)
    vacuum_churned()


def vacuum_churned():
    """VACUUM ANALYZE each table with more dead rows than autovacuum's default threshold (50 + 20 % of the live
    ones): what autovacuum does on its round. Returns the tables vacuumed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY relname"
        )
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    return tables


class AutovacuumStandIn:
    """Autovacuum's round (vacuum_churned every autovacuum_naptime, 60 s by default) while a surge runs, on a server
    where autovacuum is off (it is on some machines here; it is on in production). A surge churns the submissions
    (each inserted, then deleted) and the outbox (each row claimed, then sent): unvacuumed, their dead rows slow
    every later claim, and the second surge measured the first one's leftovers rather than the update."""

    NAPTIME = 60

    def __init__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            self.needed = cursor.fetchone()[0] == "off"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        from django.db import connection

        try:
            while not self.stopped.wait(self.NAPTIME):
                vacuum_churned()
        finally:
            connection.close()

    def __enter__(self):
        if self.needed:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        if self.needed:
            self.thread.join()


def surge(port, tokens, sink, label):
    run = f"surge{time.time_ns()}"
    count = int(SURGE_SECONDS * SURGE_RATE)
    say(f"{label}: {count:,} sign POSTs at {SURGE_RATE:g} a second for {SURGE_SECONDS} s")
    with AutovacuumStandIn():
        sent, _, failed = post_signatures(port, tokens, run, count, SURGE_RATE)
    wait_for_mail(sink, run, len(sent))
    received = sink.received(run)
    first = {address: times[0] for address, times in received.items()}
    latencies = [first[address] - when for address, when in sent.items() if address in first]
    # Each signature's times, for a look at when the slow ones were signed: beside the sink's log.
    with open(sink.path.parent / f"{run}.tsv", "w") as out:
        for address, when in sorted(sent.items(), key=lambda item: item[1]):
            out.write(f"{when:.3f}\t{first.get(address, float('nan')):.3f}\n")
    # Each rate from its first event to its last: a worker that keeps up delivers as many a second as are signed.
    sign_rate = len(sent) / max(max(sent.values(), default=0) - min(sent.values(), default=0), 1e-9)
    drain_rate = len(first) / max(max(first.values(), default=0) - min(first.values(), default=0), 1e-9)
    return {
        "label": label,
        "posted": count,
        "accepted": len(sent),
        "failed": failed,
        "delivered": len([address for address in sent if address in first]),
        "twice": sum(1 for times in received.values() if len(times) > 1),
        "sign_rate": sign_rate,
        "drain_rate": drain_rate,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
    }


def members_ensure(count):
    """`count` members who asked for coalition updates, each with one verified address (made once, kept)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from coalition.accounts.models import MemberProfile

    User = get_user_model()
    have = User.objects.filter(email__endswith="@" + MEMBER_DOMAIN).count()
    if have >= count:
        return
    say(f"creating {count - have:,} members who asked for coalition updates")
    now, unusable = timezone.now(), make_password(None)
    for start in range(have, count, 5000):
        numbers = range(start, min(count, start + 5000))
        users = User.objects.bulk_create(
            User(username=f"surge-member-{n}", email=f"member{n}@{MEMBER_DOMAIN}", password=unusable) for n in numbers
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        MemberProfile.objects.bulk_create(
            MemberProfile(user=user, updates_consent_text="Bench consent.", updates_consented_at=now) for user in users
        )
    # What autovacuum would do after so many rows (it is off on some machines): without fresh statistics the
    # address lookups of every mail plan a walk of the whole table; and done now, autovacuum does not do it in the
    # middle of the surge that follows.
    from django.db import connection

    with connection.cursor() as cursor:
        for model in (User, EmailAddress, MemberProfile):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def update_start():
    """An organiser sends a coalition update to every member who asked (the worker fans it out)."""
    from coalition.accounts.models import CoalitionUpdate
    from coalition.accounts.updates import coalition_update_send

    update = CoalitionUpdate.objects.create(subject="Surge bench update", body="Bench text.")
    coalition_update_send(update=update, actor=None)
    return update


def update_forget(update):
    """The update's mails not yet sent, and its tasks still queued, would keep a later run's worker busy: removed
    with the update (the worker stopped)."""
    from coalition.celery import app

    with app.connection_for_write() as connection:
        for queue in ("mail", "default", "bulk"):
            connection.default_channel.queue_purge(queue)
    update.delete()  # with its outbox rows


def drain_alone(port, tokens, sink, worker):
    """Mails owed while no worker runs, then one worker: how fast it empties the queue."""
    from coalition.celery import app

    worker.stop()
    run = f"drain{time.time_ns()}"
    say(f"drain alone: {DRAIN_MAILS:,} signatures posted with no worker running")
    sent, _, _ = post_signatures(port, tokens, run, DRAIN_MAILS, None)
    started = time.time()
    worker.start()
    # From the first answer to a ping: starting Python and Django is not what a mail costs.
    cpu_before = worker.cpu_seconds()
    wait_for_mail(sink, run, len(sent), grace=60)
    cpu = worker.cpu_seconds() - cpu_before
    received = sink.received(run)
    last = max((times[0] for times in received.values()), default=started)
    rate = len(received) / max(last - started, 1e-9)
    processes = app.conf.worker_concurrency  # the worker's pool (settings.CELERY_WORKER_CONCURRENCY)
    return {
        "queued": len(sent),
        "delivered": len(received),
        "rate": rate,
        "processes": processes,
        "per_process": rate / processes,
        "cpu_ms": 1000 * cpu / max(len(received), 1),
    }


def run_all(*, port, tokens, workdir, server_env, free_port):
    """Every part of the surge bench; returns the lines to print."""
    from django.db import connections

    sink = Sink(workdir, free_port())
    env = {**os.environ, **server_env, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}
    worker = Worker(workdir, env)
    worker.start()
    try:
        # Both surges run beside the same members, from the same state (settle).
        members_ensure(SURGE_MEMBERS)
        settle()
        plain = surge(port, tokens, sink, "surge")
        drain = drain_alone(port, tokens, sink, worker)
        settle()
        update = update_start()
        connections.close_all()
        try:
            busy = surge(port, tokens, sink, f"surge during an update to {SURGE_MEMBERS:,} members")
            updates_sent = len(sink.received("member"))
        finally:
            # The update goes on once the surge is over: stopped first, or its next part writes rows meanwhile.
            worker.stop()
            update_forget(update)
            connections.close_all()
    finally:
        worker.stop()
        sink.stop()
    return report(plain, busy, drain, updates_sent)


def report(plain, busy, drain, updates_sent):
    lines = [
        "",
        f"Surge: {SURGE_RATE:g} sign POSTs a second for {SURGE_SECONDS} s, one worker (-Q mail,default,bulk, "
        f"{drain['processes']} processes), SMTP sink on 127.0.0.1",
        "",
        "| run | accepted | failed | mails received | twice | sign/s | drain/s | drain/sign | p50 s | p95 s | p99 s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in (plain, busy):
        lines.append(
            f"| {r['label']} | {r['accepted']:,} | {r['failed']} | {r['delivered']:,} | {r['twice']} | "
            f"{r['sign_rate']:.0f} | {r['drain_rate']:.0f} | {r['drain_rate'] / r['sign_rate']:.2f} | "
            f"{r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} |"
        )
    lines += [
        "",
        f"Coalition update mails received during the second surge: {updates_sent:,} (the bulk queue, paced)",
        f"Drain alone: {drain['delivered']:,} of {drain['queued']:,} queued mails in "
        f"{drain['rate']:.0f} mails/s, {drain['per_process']:.0f} per worker process; the worker's CPU "
        f"{drain['cpu_ms']:.2f} ms a mail (its submission made a signature, the mail rendered and sent)",
        "",
        "Targets:",
    ]
    for r in (plain, busy):
        every = r["delivered"] == r["accepted"] and not r["twice"]
        lines.append(f"  {r['label']}: every confirmation delivered once: {'ok' if every else 'MISSED'}")
        # Within 2 %: both rates are counted between their first and last events, a second apart at most.
        lines.append(
            f"  {r['label']}: drain rate >= sign rate: {'ok' if r['drain_rate'] >= r['sign_rate'] * 0.98 else 'MISSED'}"
        )
        lines.append(
            f"  {r['label']}: p95 {r['p95']:.2f} s < {P95_TARGET_S} s: {'ok' if r['p95'] < P95_TARGET_S else 'MISSED'}"
        )
    moved = busy["p95"] / plain["p95"] - 1 if plain["p95"] else float("nan")
    lines.append(
        f"  confirmations' p95 during the update moved {moved:+.0%} (limit +{P95_MOVE_LIMIT:.0%}): "
        f"{'ok' if moved <= P95_MOVE_LIMIT else 'MISSED'}"
    )
    accepted_at_rate = plain["sign_rate"] >= SURGE_RATE * 0.95
    lines.append(f"  sign POSTs held {SURGE_RATE:g} a second: {'ok' if accepted_at_rate else 'MISSED'}")
    return lines
