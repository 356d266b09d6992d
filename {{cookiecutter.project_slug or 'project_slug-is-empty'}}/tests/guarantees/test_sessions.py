"""The session contract: what every session engine this template ships does, whichever one the
project runs (settings.SESSION_ENGINE), tested on the real Redis and PostgreSQL in the spirit of
Django's own SessionTestsMixin. Engine-specific guarantees have their own modules."""

import secrets
import time
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.test import override_settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from tests.harness.processes import Balancer, Visitor
from tests.harness.services import free_port
from tests.harness.sessions import pickle_that_creates, redis_key, stored_session

pytestmark = pytest.mark.django_db(transaction=True)


def engine():
    return import_module(settings.SESSION_ENGINE).SessionStore


def saved(**data):
    session = engine()()
    session.update(data)
    session.save()
    return session.session_key


def test_a_new_session_is_stored_under_a_new_key():
    key = saved(count=1)
    assert key
    assert stored_session(key) == {"count": 1}


def test_a_session_is_loaded_by_another_request():
    key = saved(count=1, user="alice")
    assert engine()(key).load() == {"count": 1, "user": "alice"}


def test_a_modified_session_is_stored_with_its_change():
    key = saved(count=1)
    session = engine()(key)
    session["count"] += 1
    session.save()
    assert stored_session(key) == {"count": 2}


def test_an_expired_session_is_gone():
    session = engine()()
    session["count"] = 1
    session.set_expiry(1)
    session.save()
    time.sleep(1.5)
    assert engine()(session.session_key).load() == {}
    assert stored_session(session.session_key) is None


def test_cycling_the_key_keeps_the_data_and_ends_the_old_key():
    key = saved(count=3)
    session = engine()(key)
    session.load()
    session.cycle_key()
    assert session.session_key != key
    assert stored_session(session.session_key) == {"count": 3}
    assert stored_session(key) is None


def test_a_deleted_session_is_gone():
    key = saved(count=1)
    engine()(key).delete()
    assert stored_session(key) is None


def test_a_key_that_is_not_stored_is_never_adopted():
    unknown = "u" * 32
    session = engine()(unknown)
    assert session.load() == {}
    session["count"] = 1
    session.save()
    assert session.session_key != unknown
    assert stored_session(unknown) is None


def test_a_session_deleted_by_a_concurrent_logout_is_not_written_back():
    key = saved(count=1)
    request = engine()(key)
    request["count"] += 1  # loaded by a request...
    engine()(key).delete()  # ...while a logout in another request ends it
    with pytest.raises(UpdateError):
        request.save()
    assert stored_session(key) is None


def redis_unreachable():
    """The sessions' Redis alias pointed at a port where nothing listens."""
    dead = {**settings.CACHES["sessions"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    return override_settings(CACHES={**settings.CACHES, "sessions": dead})


def test_a_redis_failure_never_loads_a_stored_session_as_empty():
    # Django's cache engine would: the visitor is logged out silently and handed a new session.
    key = saved(count=5)
    with redis_unreachable():
        try:
            loaded = engine()(key).load()
        except RedisError:
            loaded = "an error: the request fails with a 503"
    assert loaded in ({"count": 5}, "an error: the request fails with a 503")


def test_a_write_during_a_redis_failure_is_kept_or_fails_loudly():
    key = saved(count=5)
    with redis_unreachable():
        session = engine()(key)
        try:
            session["count"] = 6
            session.save()
            expected = {"count": 6}
        except RedisError:
            expected = {"count": 5}
    assert stored_session(key) == expected


# --- What Redis holds is data, never code: sessions are JSON, and anything else is no session ------

NOT_A_SESSION = {
    "bytes that are not JSON": b"\xff\x00 garbage",
    "JSON that is not an object": b"[1, 2]",
    "a number": b"12345",
}


def written_to_redis(value):
    """A new session key under which ``value`` was written straight into Redis, where the engine reads."""
    session_key = secrets.token_hex(16)
    get_redis_connection("sessions").set(redis_key(session_key), value, ex=60)
    return session_key


@pytest.mark.parametrize("value", NOT_A_SESSION.values(), ids=NOT_A_SESSION.keys())
def test_a_stored_value_that_is_not_a_json_object_is_no_session(value):
    assert engine()(written_to_redis(value)).load() == {}


def test_a_pickle_found_in_redis_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    session_key = written_to_redis(pickle_that_creates(marker))
    try:
        loaded = engine()(session_key).load()
    except Exception as error:  # what the engine did is the finding: shown, not raised
        loaded = f"an error: {error!r}"
    assert not marker.exists(), "the session engine unpickled a value it found in Redis: code execution"
    assert loaded == {}


def test_a_web_process_given_a_pickled_session_answers_anonymous_and_runs_nothing(web, tmp_path):
    marker = tmp_path / "unpickled"
    visitor = Visitor(Balancer(web))
    visitor.cookies[settings.SESSION_COOKIE_NAME] = written_to_redis(pickle_that_creates(marker))
    response = visitor.get("/probe/whoami")
    assert not marker.exists(), "a web process unpickled a session it found in Redis: code execution"
    assert response.status == 200, response.body[:500]
    assert response.json()["user"] is None
