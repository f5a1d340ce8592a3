"""Celery's Redis transport, keeping one Redis client per channel instead of building one for every message.

kombu's Redis channel makes a new `redis.Redis` each time it publishes (Channel.conn_or_acquire). The connections
come from the channel's pool either way; only the client object is new, and with redis-py 8 building one costs
about 65 µs of CPU (a table of some 170 response callbacks), a sixth of a publish: one for every signature. The client
is rebuilt whenever the channel's pool is.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _shared_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:
            client = self._shared_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
