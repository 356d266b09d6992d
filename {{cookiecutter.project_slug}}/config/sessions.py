{%- if cookiecutter.session_store == "redis+db" -%}
"""Sessions in PostgreSQL with a copy in Redis, read first: Django's cached_db engine, made to
tolerate Redis failing.

A Redis error turns a read into a miss (the database answers) and a write into a no-op, and this
worker then leaves Redis alone for BREAK_SECONDS, so that a hung Redis costs one timeout, not one per
call. Writes made meanwhile go to the database alone, which leaves stale copies in Redis. So when
Redis answers again, the worker drops every cached session, keeps to the database while the other
workers recover too (SETTLE_SECONDS), and drops them once more before it reads from Redis again.
"""

import logging
import time

from django.conf import settings
from django.contrib.sessions.backends import cached_db

BREAK_SECONDS = 2.0
SETTLE_SECONDS = BREAK_SECONDS + 2 * settings.REDIS_TIMEOUT  # until every worker's break has ended
logger = logging.getLogger(__name__)


class TolerantCache:
    failed_at = None  # per worker process: when Redis last failed
    recovered_at = None  # when it answered again after failing

    def __init__(self, cache):
        self.cache = cache

    def call(self, operation, *args, default=None):
        state, now = TolerantCache, time.monotonic()
        try:
            if state.failed_at is not None:
                if now - state.failed_at < BREAK_SECONDS:
                    return default
                self.drop_cached_sessions()
                state.failed_at, state.recovered_at = None, now
            if state.recovered_at is not None:
                if now - state.recovered_at < SETTLE_SECONDS:
                    return default
                self.drop_cached_sessions()
                state.recovered_at = None
            return operation(*args)
        except Exception as error:
            state.failed_at, state.recovered_at = now, None
            logger.warning("Redis failed (%r): sessions come from the database alone for now.", error)
            return default

    def drop_cached_sessions(self):
        self.cache.delete_pattern(f"{cached_db.KEY_PREFIX}*")

    def get(self, key):
        return self.call(self.cache.get, key)

    def set(self, key, value, timeout):
        self.call(self.cache.set, key, value, timeout)

    def delete(self, key):
        self.call(self.cache.delete, key)

    def __contains__(self, key):
        return self.call(self.cache.has_key, key, default=False)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = TolerantCache(self._cache)
{%- else -%}
"""Sessions in Redis in one round trip per read and one per write.

Django's cache engine on django-redis asks Redis three times when a request changes its session (read
it; does it still exist?; write it) and twice for a new one (is this key taken?; write it). This engine
keeps the same data under the same keys with the same expiry, on the same "sessions" cache alias, so
either engine reads what the other wrote. It only talks to Redis directly and turns the questions into
conditions of the write itself: SET ... NX creates a session under a key that nobody has, SET ... XX
updates one only while it still exists (a logout in another request meanwhile ends it, as in Django).
A request that never touches its session costs nothing, not even the cache lookup.

A failed read is an error, never an empty session: Django's engine would log the user out silently
and hand out a new session in place of the stored one.
"""

import os
import threading
from functools import cached_property

from django.conf import settings
from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, SessionBase, UpdateError
from django.core.cache import caches
from django.utils.crypto import get_random_string
from django_redis import get_redis_connection

held = threading.local()  # each thread's own connection


def redis_command(*args):
    """Send one command on this thread's own connection to the sessions' Redis; return the reply.

    On a small request, redis-py's client and pool cost more than the round trip itself (a retry
    wrapper, locks, a poll of the socket, metrics). The connection is made like the pool's (address,
    timeouts, TLS) and used for nothing else. One that broke since its last use (Redis restarted, or
    closed it when idle) is made again, once; a Redis that does not answer costs one timeout, as
    REDIS_TIMEOUT says. A command cut short closes the connection, so no reply is ever left unread.
    """
    from redis import ConnectionError as Broken  # loaded with the first session, not when a process starts

    connection = getattr(held, "connection", None)
    if connection is None or connection.pid != os.getpid():
        pool = get_redis_connection(settings.SESSION_CACHE_ALIAS).connection_pool
        connection = held.connection = pool.make_connection()  # the pool's settings; never back in the pool
    for attempt in (1, 2):
        try:
            connection.send_command(*args)
            return connection.read_response()
        except Broken:
            connection.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            connection.disconnect()
            raise


class SessionStore(cache.SessionStore):
    def __init__(self, session_key=None):
        SessionBase.__init__(self, session_key)  # the cache is looked up when the session is used

    @cached_property
    def _cache(self):
        return caches[settings.SESSION_CACHE_ALIAS]

    def _redis_key(self):
        return self._cache.make_key(self.cache_key)

    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)  # a key that is taken makes SET ... NX fail: create() retries

    def load(self):
        stored = redis_command("GET", self._redis_key())
        if stored is not None:
            return self._cache.client.decode(stored)
        self._session_key = None
        return {}

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self._cache.client.encode(self._get_session(no_load=must_create))
        condition = "NX" if must_create else "XX"
        age = max(self.get_expiry_age(), 1)
        if redis_command("SET", self._redis_key(), data, "EX", age, condition) is None:
            raise CreateError if must_create else UpdateError
{%- endif %}
