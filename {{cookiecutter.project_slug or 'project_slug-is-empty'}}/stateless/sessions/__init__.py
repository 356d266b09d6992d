"""The session engine of each ``session_store`` answer (cache.py: Redis alone; cached_db.py: PostgreSQL
with a copy in Redis), and what they share: a session in Redis is JSON, never a pickle.

Whoever can write a key to Redis would otherwise run code in every web process that reads it. A
stored value that is not JSON of an object (garbage, a pickle written by an older engine or by an
attacker) is no session: the visitor is anonymous, and nothing in it runs.
"""

import json
import logging

logger = logging.getLogger(__name__)


def to_json(session):
    """The bytes stored for a session. Values that JSON cannot hold raise TypeError, as in Django's engines."""
    return json.dumps(session, separators=(",", ":")).encode()


def from_json(stored):
    """The session that stored bytes hold, or None when they hold none."""
    try:
        session = json.loads(stored)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond reason
        session = None
    if isinstance(session, dict):
        return session
    logger.warning("A session stored in Redis is not a JSON object: it is treated as no session.")
    return None
