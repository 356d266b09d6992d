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
"""Sessions in Redis through the cache engine, with one change: a failed read is an error.

Django's cache engine treats a failed read as an empty session, so a Redis hiccup silently logs the
user out and hands out a new session in place of the stored one. Here the error goes up instead: the
request gets a 503 (config/errors.py), and the stored session is intact for the next request.
"""

from django.contrib.sessions.backends import cache


class SessionStore(cache.SessionStore):
    def load(self):
        session_data = self._cache.get(self.cache_key)
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
{%- endif %}
