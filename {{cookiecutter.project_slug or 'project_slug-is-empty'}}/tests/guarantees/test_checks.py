"""The statelessness checks (config/checks.py) refuse state kept in the process or on its disk:
errors in production, warnings in development. Each one fires on a stateful setting and stays quiet
on the shipped configuration."""

import os

import pytest
from django.conf import settings
from django.core.checks import ERROR, WARNING, run_checks
from django.test import override_settings

from tests.harness.processes import run_project

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
FILEBASED = "django.core.cache.backends.filebased.FileBasedCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
CACHE_SESSIONS = {"SESSION_ENGINE": "django.contrib.sessions.backends.cache"}


def cache(alias, backend=None, **options):
    """The shipped CACHES with one alias changed: another backend, or other OPTIONS."""
    changed = {**settings.CACHES[alias], "OPTIONS": {**settings.CACHES[alias]["OPTIONS"], **options}}
    if backend:
        changed = {"BACKEND": backend}
    return {"CACHES": {**settings.CACHES, alias: changed}}


def storage(alias, backend):
    return {"STORAGES": {**settings.STORAGES, alias: {"BACKEND": backend}}}


STATEFUL = {
    "file sessions": (1, {"SESSION_ENGINE": "django.contrib.sessions.backends.file"}),
    "cache sessions in process memory": (1, cache("sessions", LOCMEM)),
    "cache sessions in files": (1, cache("sessions", FILEBASED)),
    "cache sessions on a dummy cache": (1, cache("sessions", DUMMY)),
    "cached_db sessions in process memory": (
        1,
        {"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db", **cache("sessions", LOCMEM)},
    ),
    "signed cookie sessions": (1, {"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}),
    "default cache in process memory": (2, cache("default", LOCMEM)),
    "default cache in files": (2, cache("default", FILEBASED)),
    "default cache that is a dummy": (2, cache("default", DUMMY)),
    "media on the local disk": (3, storage("default", "django.core.files.storage.FileSystemStorage")),
    "static files without a manifest": (4, storage("staticfiles", "whitenoise.storage.CompressedStaticFilesStorage")),
    "SQLite": (5, {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}}),
    "cache sessions ignoring Redis errors": (6, {**CACHE_SESSIONS, **cache("sessions", IGNORE_EXCEPTIONS=True)}),
    "cache sessions ignoring every Redis error": (6, {**CACHE_SESSIONS, "DJANGO_REDIS_IGNORE_EXCEPTIONS": True}),
    "Redis without a connect timeout": (7, cache("default", SOCKET_CONNECT_TIMEOUT=None)),
    "Redis without a read timeout": (7, cache("sessions", SOCKET_TIMEOUT=None)),
    "login throttle counting in process memory": (
        8,
        {"CACHES": {**settings.CACHES, "throttle": {"BACKEND": LOCMEM}}, "AXES_CACHE": "throttle"},
    ),
    "Django's Redis cache without timeouts": (
        7,
        {"CACHES": {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}},
    ),
{%- if cookiecutter.worker == "celery" %}
    "task queue in process memory": (9, {"CELERY_BROKER_URL": "memory://"}),
    "task queue in files": (9, {"CELERY_BROKER_URL": "filesystem://"}),
    "task results in process memory": (10, {"CELERY_RESULT_BACKEND": "cache+memory://"}),
    "task results in files": (10, {"CELERY_RESULT_BACKEND": "file:///tmp/results"}),
    "tasks run in the request": (11, {"CELERY_TASK_ALWAYS_EAGER": True}),
    "tasks accepting pickles": (12, {"CELERY_ACCEPT_CONTENT": ["json", "pickle"]}),
    "tasks sent as pickles": (12, {"CELERY_TASK_SERIALIZER": "pickle"}),
{%- endif %}
}


def findings():
    return [(finding.id, finding.level) for finding in run_checks(tags=["stateless"])]


def test_the_shipped_production_configuration_passes_every_check():
    assert settings.PRODUCTION
    assert findings() == []


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize(("number", "overrides"), STATEFUL.values(), ids=STATEFUL.keys())
def test_each_stateful_setting_is_an_error_in_production(number, overrides):
    with override_settings(**overrides):
        assert findings() == [(f"stateless.E{number:03d}", ERROR)]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize(("number", "overrides"), STATEFUL.values(), ids=STATEFUL.keys())
def test_each_stateful_setting_is_a_warning_in_development(number, overrides):
    with override_settings(PRODUCTION=False, **overrides):
        assert findings() == [(f"stateless.W{number:03d}", WARNING)]


def test_signed_cookie_sessions_pass_when_explicitly_allowed():
    engine = "django.contrib.sessions.backends.signed_cookies"
    with override_settings(SESSION_ENGINE=engine, STATELESS_ALLOW_SIGNED_COOKIES=True):
        assert findings() == []


def test_cached_db_sessions_may_ignore_redis_errors():
    # The database behind the cache keeps the session when Redis fails.
    engine = "django.contrib.sessions.backends.cached_db"
    with override_settings(SESSION_ENGINE=engine, **cache("sessions", IGNORE_EXCEPTIONS=True)):
        assert findings() == []


def test_check_check_deploy_and_the_release_phase_refuse_a_stateful_configuration_in_production():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.harness.stateful_settings"}
    for command in (["check"], ["check", "--deploy"], ["migrate", "--noinput"]):
        result = run_project("manage.py", *command, env=env)
        assert result.returncode != 0, result.stdout
        for check in ("stateless.E001", "stateless.E002", "stateless.E003"):
            assert check in result.stderr
        assert "Traceback" not in result.stderr


def test_the_embedded_development_default_runs_with_warnings():
    result = run_project("manage.py", "check", env={"PATH": os.environ["PATH"], "DJANGO_ENV": "development"})
    assert result.returncode == 0, result.stderr
    for check in ("stateless.W002", "stateless.W003", "stateless.W005"{% if cookiecutter.worker == "celery" %}, "stateless.W011"{% endif %}):
        assert check in result.stderr
