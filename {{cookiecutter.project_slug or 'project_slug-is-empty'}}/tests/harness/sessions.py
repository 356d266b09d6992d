from importlib import import_module

from django.conf import settings


def stored_session(session_key):
    """The session data the configured store gives for this key, read by this process; None if none
    (never stored, deleted or expired)."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key).load() or None
