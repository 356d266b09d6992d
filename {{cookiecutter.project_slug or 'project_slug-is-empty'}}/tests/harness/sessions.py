import pickle
from importlib import import_module

from django.conf import settings
from django.core.cache import caches


def stored_session(session_key):
    """The session data the configured store gives for this key, read by this process; None if none
    (never stored, deleted or expired)."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key).load() or None


def redis_key(session_key):
    """The Redis key under which the configured engine looks for this session (its copy, for redis+db)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return caches[settings.SESSION_CACHE_ALIAS].make_key(store.cache_key)


def pickle_that_creates(path):
    """A pickle whose loading creates the file at ``path``: what anyone who can write to Redis could
    store, and any code that unpickles it would run."""

    class Payload:
        def __reduce__(self):
            return (open, (str(path), "w"))

    return pickle.dumps(Payload())
