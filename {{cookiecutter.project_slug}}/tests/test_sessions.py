"""The session engine (config/sessions.py): Django's cache engine on the same Redis keys, in one round
trip per read and one per write, with the same guarantees."""

import socket
import time

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends import cache as django_cache_engine
from django.contrib.sessions.backends.base import UpdateError
from django.test import Client
from django_redis import get_redis_connection

from config import sessions
from config.sessions import SessionStore
from tests.services import free_port

pytestmark = pytest.mark.urls("tests.probe")


@pytest.fixture
def commands(monkeypatch):
    """The session commands sent to Redis on any connection, in order, with their NX or XX."""
    sent = []
    send = redis.connection.AbstractConnection.send_command

    def counted(self, name, *args, **options):
        if name in ("GET", "SET", "EXISTS", "DEL"):
            sent.append(" ".join([name, *(arg for arg in args if arg in ("NX", "XX"))]))
        return send(self, name, *args, **options)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_command", counted)
    return sent


@pytest.fixture
def visitor():
    return Client(headers={"X-Forwarded-Proto": "https"})


def in_redis(session_key):
    return get_redis_connection("sessions").get(SessionStore(session_key)._redis_key())


def test_it_is_the_shipped_engine_and_the_checks_see_it_as_the_cache_engine():
    assert settings.SESSION_ENGINE == "config.sessions"
    assert issubclass(SessionStore, django_cache_engine.SessionStore)


def test_a_new_session_costs_one_write(visitor, commands):
    assert visitor.get("/probe/count").json()["count"] == 1
    assert commands == ["SET NX"]


def test_a_changed_session_costs_one_read_and_one_write(visitor, commands):
    visitor.get("/probe/count")
    commands.clear()
    assert visitor.get("/probe/count").json()["count"] == 2
    assert commands == ["GET", "SET XX"]


def test_reading_a_session_costs_one_read_and_no_write(visitor, commands):
    visitor.get("/probe/count")
    commands.clear()
    response = visitor.get("/probe/whoami")
    assert response.status_code == 200
    assert commands == ["GET"]
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_a_request_without_a_session_costs_nothing(visitor, commands):
    assert visitor.get("/probe/whoami").status_code == 200
    assert commands == []


def test_the_session_age_is_the_time_to_live(visitor):
    visitor.get("/probe/count")
    store = SessionStore(visitor.cookies[settings.SESSION_COOKIE_NAME].value)
    ttl = get_redis_connection("sessions").ttl(store._redis_key())
    assert settings.SESSION_COOKIE_AGE - 60 < ttl <= settings.SESSION_COOKIE_AGE


def test_django_cache_engine_and_this_one_read_each_others_sessions():
    ours = SessionStore()
    ours["count"] = 7
    ours.save()
    assert django_cache_engine.SessionStore(ours.session_key).load() == {"count": 7}
    theirs = django_cache_engine.SessionStore()
    theirs["count"] = 8
    theirs.save()
    assert SessionStore(theirs.session_key).load() == {"count": 8}


def test_a_session_deleted_meanwhile_is_not_written_back(visitor):
    visitor.get("/probe/count")
    session_key = visitor.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key)
    store["count"] = store["count"] + 1  # loaded
    SessionStore(session_key).delete()  # a logout in another request
    with pytest.raises(UpdateError):
        store.save()
    assert in_redis(session_key) is None
    assert visitor.get("/probe/count").json()["count"] == 1  # a new session, not the old one revived


def test_a_taken_key_is_never_given_again(monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    keys = iter([taken.session_key, "a" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    second = SessionStore()
    second["owner"] = "second"
    second.save()
    assert second.session_key == "a" * 32
    assert SessionStore(taken.session_key).load() == {"owner": "first"}
    second.delete()


def test_logging_in_moves_the_session_to_a_new_key_and_deletes_the_old_one(visitor, django_user_model):
    django_user_model.objects.create_user("reader", password="a-long-test-password")
    visitor.get("/probe/count")
    anonymous_key = visitor.cookies[settings.SESSION_COOKIE_NAME].value
    assert visitor.login(username="reader", password="a-long-test-password")
    logged_in_key = visitor.cookies[settings.SESSION_COOKIE_NAME].value
    assert logged_in_key != anonymous_key
    assert in_redis(anonymous_key) is None
    assert visitor.get("/probe/whoami").json()["user"] == "reader"
    assert visitor.get("/probe/count").json()["count"] == 2  # the data moved with the session


def stored(**data):
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


@pytest.fixture
def own_connection(monkeypatch):
    """Gives this thread's session connection to Redis a replacement, for the length of a test."""

    def replace(connection):
        monkeypatch.setattr(sessions.held, "connection", connection, raising=False)
        return connection

    return replace


def test_a_failed_read_is_an_error_not_an_empty_session(own_connection):
    session_key = stored(count=1)
    own_connection(redis.Connection(port=free_port(), socket_connect_timeout=0.5))
    with pytest.raises(redis.ConnectionError):
        SessionStore(session_key).load()


def test_a_redis_that_does_not_answer_costs_one_timeout(own_connection):
    session_key = stored(count=1)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        own_connection(redis.Connection(port=silent.getsockname()[1], socket_timeout=0.5))
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            SessionStore(session_key).load()
    assert time.monotonic() - started < 1


def test_a_connection_closed_by_redis_since_its_last_use_is_made_again(own_connection):
    session_key = stored(count=1)
    SessionStore(session_key).load()  # this thread's connection is open
    connection_id = sessions.redis_command("CLIENT", "ID")
    get_redis_connection("sessions").client_kill_filter(_id=connection_id)
    assert SessionStore(session_key).load() == {"count": 1}


def test_a_command_cut_short_leaves_no_reply_for_the_next_one(monkeypatch):
    first, second = stored(owner="first"), stored(owner="second")
    read = redis.connection.AbstractConnection.read_response
    interrupted = []

    def interrupt_once(self, *args, **options):
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt  # a signal between sending a command and reading its reply
        return read(self, *args, **options)

    monkeypatch.setattr(redis.connection.AbstractConnection, "read_response", interrupt_once)
    with pytest.raises(KeyboardInterrupt):
        SessionStore(first).load()
    assert SessionStore(second).load() == {"owner": "second"}
