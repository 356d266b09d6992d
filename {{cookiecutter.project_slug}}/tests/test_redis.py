"""Sessions and cache live in Redis, never in the process."""

import secrets

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django_redis import get_redis_connection


@pytest.fixture
def user(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "a-long-test-password")


def session_key_in_redis(session_key):
    return caches["sessions"].make_key(f"django.contrib.sessions.cache{session_key}")


def log_in(client):
    admin_login = f"/{settings.ADMIN_URL}login/"
    response = client.post(admin_login, {"username": "admin", "password": "a-long-test-password"})
    assert response.status_code == 302, response.content
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_sessions_use_a_dedicated_redis_alias_that_never_swallows_errors():
    assert settings.SESSION_ENGINE == "config.sessions"
    alias = settings.CACHES[settings.SESSION_CACHE_ALIAS]
    assert alias["BACKEND"] == "django_redis.cache.RedisCache"
    assert alias["KEY_PREFIX"] != settings.CACHES["default"]["KEY_PREFIX"]
    assert not alias["OPTIONS"].get("IGNORE_EXCEPTIONS")
    assert alias["TIMEOUT"] == settings.SESSION_COOKIE_AGE
    for cache_settings in settings.CACHES.values():
        assert cache_settings["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] == settings.REDIS_TIMEOUT
        assert cache_settings["OPTIONS"]["SOCKET_TIMEOUT"] == settings.REDIS_TIMEOUT


def test_a_login_session_is_stored_in_redis_with_the_session_age_as_ttl(client, user):
    session_key = log_in(client)
    redis = get_redis_connection("sessions")
    key = session_key_in_redis(session_key)
    assert redis.exists(key)
    assert settings.SESSION_COOKIE_AGE - 60 < redis.ttl(key) <= settings.SESSION_COOKIE_AGE


def test_a_session_is_read_back_from_redis_by_a_fresh_client(client, user):
    session_key = log_in(client)
    from django.test import Client

    other = Client(headers={"X-Forwarded-Proto": "https"})
    other.cookies[settings.SESSION_COOKIE_NAME] = session_key
    assert other.get(f"/{settings.ADMIN_URL}").status_code == 200


def test_logout_deletes_the_session_from_redis(client, user):
    session_key = log_in(client)
    key = session_key_in_redis(session_key)
    assert client.post("/accounts/logout/").status_code == 302
    assert not get_redis_connection("sessions").exists(key)


def test_the_cache_is_redis_and_shared_through_the_server():
    name, value = f"probe-{secrets.token_hex(4)}", secrets.token_hex(8)
    cache.set(name, value, timeout=30)
    redis = get_redis_connection("default")
    key = cache.make_key(name)
    assert redis.exists(key)
    assert 0 < redis.ttl(key) <= 30
    assert cache.get(name) == value
    cache.delete(name)
    assert not redis.exists(key)


def test_redis_replies_are_parsed_by_hiredis():
    connection = get_redis_connection("default").connection_pool.get_connection()
    try:
        assert type(connection._parser).__name__ == "_HiredisParser"
    finally:
        get_redis_connection("default").connection_pool.release(connection)
