"""Configuration comes only from the environment, and a bad environment stops the process at start
with one message that names every problem: no traceback, no first request."""

import json
import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, get_default_exception_reporter_filter

from stateless.environment import REQUIRED, secret_key_is_strong
from stateless.management.commands.envtable import render
from tests.harness.processes import PROJECT_DIR, procfile_command, run_project
from tests.harness.services import free_port

REQUIRED_IN_PRODUCTION = sorted(name for name, var in settings.VARIABLES.items() if var.production == REQUIRED)

BAD_VALUES = {  # None: the variable is missing
    "missing secret key": ("DJANGO_SECRET_KEY", None),
    "short secret key": ("DJANGO_SECRET_KEY", "too-short"),
    "insecure secret key": ("DJANGO_SECRET_KEY", "django-insecure-" + "x1y2z3" * 10),
    "secret key of one character": ("DJANGO_SECRET_KEY", "a" * 60),
    "secret key of a short repeated pattern": ("DJANGO_SECRET_KEY", "abcde" * 12),
    "secret key of a long block said twice": ("DJANGO_SECRET_KEY", "Xq3vN8tLp0sRz5wKd2hJm7cYb4" * 2),
    "secret key that is mostly one character": ("DJANGO_SECRET_KEY", "a" * 40 + "0123456789"),
    "debug neither true nor false": ("DJANGO_DEBUG", "maybe"),
    "debug on in production": ("DJANGO_DEBUG", "true"),
    "empty allowed hosts": ("DJANGO_ALLOWED_HOSTS", ""),
    "any host": ("DJANGO_ALLOWED_HOSTS", "*"),
    "any host besides a named one": ("DJANGO_ALLOWED_HOSTS", "example.com,*"),
    "every host of a top-level domain": ("DJANGO_ALLOWED_HOSTS", ".com"),
    "CSRF origin without a scheme": ("DJANGO_CSRF_TRUSTED_ORIGINS", "example.com"),
    "plain http for a site with a host on the network": ("DJANGO_HTTP_ON_LOOPBACK", "true"),
    "admin URL with a leading slash": ("DJANGO_ADMIN_URL", "/admin/"),
    "unknown log level": ("DJANGO_LOG_LEVEL", "LOUD"),
    "database URL that is no URL": ("DATABASE_URL", "notaurl"),
    "unknown database scheme": ("DATABASE_URL", "foo://db/name"),
    "database this project has no driver for": ("DATABASE_URL", "mysql://db/name"),
    "Redis URL with another scheme": ("REDIS_URL", "http://x"),
    "Redis URL with a bad port": ("REDIS_URL", "redis://localhost:port/0"),
    "Redis timeout that is no number": ("REDIS_TIMEOUT", "soon"),
    "malformed endpoint URL": ("AWS_S3_ENDPOINT_URL", "http://[broken"),
    "endpoint URL without a scheme": ("AWS_S3_ENDPOINT_URL", "minio:9000"),
    "empty bucket name": ("AWS_STORAGE_BUCKET_NAME", ""),
    "site URL with a path": ("SITE_URL", "https://localhost/shop"),
    "site URL on a host the site does not answer to": ("SITE_URL", "https://elsewhere.example"),
    "mail printed to the logs, reset links included": ("EMAIL_URL", "console://"),
    "mail kept in the process": ("EMAIL_URL", "memory://"),
    "mail URL of an unknown scheme": ("EMAIL_URL", "mailgun://key@example.com"),
    "Sentry DSN without its key": ("SENTRY_DSN", "https://sentry.example.com/1"),
    "Sentry DSN without a project": ("SENTRY_DSN", "https://key@sentry.example.com/"),
    "trace share above one": ("SENTRY_TRACES_SAMPLE_RATE", "2"),
    "mail URL without a server": ("EMAIL_URL", "submission://"),
    "mail password in clear text": ("EMAIL_URL", "smtp://app:password@mail.example.com:25"),
    "smtps, which the parser reads as STARTTLS": ("EMAIL_URL", "smtps://app:password@mail.example.com:465"),
    "sender that is no address": ("DEFAULT_FROM_EMAIL", "nobody"),
    "port out of range": ("PORT", "70000"),
    "no workers": ("WEB_CONCURRENCY", "0"),
    "unknown mode": ("DJANGO_ENV", "staging"),
}


def assert_stopped_naming(result, *names):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert "Configuration error" in result.stderr
    for name in names:
        assert f"  {name}: " in result.stderr, output


@pytest.fixture
def empty_env():
    return {"PATH": os.environ["PATH"]}


def test_production_requires_the_secret_the_hosts_and_every_backing_service():
    expected = [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "EMAIL_URL",
    ]
    assert sorted(expected) == REQUIRED_IN_PRODUCTION


def test_production_without_environment_lists_every_missing_variable_at_once(empty_env):
    result = run_project("manage.py", "check", env=empty_env)
    assert_stopped_naming(result, *REQUIRED_IN_PRODUCTION)


@pytest.mark.parametrize("name", REQUIRED_IN_PRODUCTION)
def test_each_required_variable_is_refused_when_missing(name):
    env = {key: value for key, value in os.environ.items() if key != name}
    assert_stopped_naming(run_project("manage.py", "check", env=env), name)


def start_every_entry_point(env):
    """``manage.py check``, ``gunicorn --check-config`` and the Procfile's web process, side by side."""
    web = [*procfile_command("web"), "--bind", f"127.0.0.1:{free_port()}"]
    commands = [["manage.py", "check"], ["-m", "gunicorn", "--check-config", "config.wsgi"], ["-m", *web]]
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda command: run_project(*command, env=env), commands))


@pytest.mark.parametrize(("name", "value"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_each_malformed_variable_stops_every_entry_point_before_a_first_request(name, value):
    env = {**os.environ, name: value} if value is not None else {k: v for k, v in os.environ.items() if k != name}
    for result in start_every_entry_point(env):
        assert_stopped_naming(result, name)
        assert "Listening at" not in result.stdout + result.stderr


GOOD_VALUES = {
    "debug off": ("DJANGO_DEBUG", "false"),
    "a domain and its subdomains": ("DJANGO_ALLOWED_HOSTS", ".example.com,localhost"),
    "a secret key in hex": ("DJANGO_SECRET_KEY", secrets.token_hex(32)),
    "mail over STARTTLS with a password": ("EMAIL_URL", "submission://app:password@mail.example.com:587"),
    "mail over TLS with a password": ("EMAIL_URL", "smtp://app:password@mail.example.com:465?ssl=true"),
    "no mail at all": ("EMAIL_URL", "dummy://"),
    "a sender with a name": ("DEFAULT_FROM_EMAIL", "Support <support@example.com>"),
}


@pytest.mark.parametrize(("name", "value"), GOOD_VALUES.values(), ids=GOOD_VALUES.keys())
def test_safe_values_are_accepted_in_production(name, value):
    result = run_project("manage.py", "check", env={**os.environ, name: value})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "make_key",
    [lambda: secrets.token_urlsafe(50), get_random_secret_key, lambda: secrets.token_hex(25)],
    ids=["token_urlsafe(50)", "Django's get_random_secret_key()", "token_hex(25)"],
)
def test_secret_keys_from_the_usual_generators_are_strong(make_key):
    for _ in range(2000):
        secret_key_is_strong(make_key())  # raises if it is refused


def test_error_reports_hide_the_credentials_of_every_url_setting(settings):
    """Django's filter hides API, TOKEN, KEY, SECRET, PASS and SIGNATURE settings, not DATABASE_URL or
    REDIS_URL: a debug page or an error report showed their passwords."""
    settings.DATABASE_URL = "postgres://app:database-password@db.internal:5432/app"
    settings.REDIS_URL = "redis://:redis-password@cache.internal:6379/0"
    settings.AWS_S3_ENDPOINT_URL = "https://s3-user:s3-password@s3.internal"
    safe = get_default_exception_reporter_filter().get_safe_settings()
    hidden = get_default_exception_reporter_filter().cleansed_substitute
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_S3_ENDPOINT_URL"):
        assert safe[name] == hidden, name
    assert {alias: cache.get("LOCATION", hidden) for alias, cache in safe["CACHES"].items()} == dict.fromkeys(
        settings.CACHES, hidden
    )
    try:
        raise RuntimeError("a failing view")
    except RuntimeError:
        report = ExceptionReporter(RequestFactory().get("/"), *sys.exc_info()).get_traceback_text()
    assert "DATABASE_URL" in report  # the report lists the settings
    for password in ("database-password", "redis-password", "s3-password", settings.REDIS_URL):
        assert password not in report


def test_every_malformed_variable_is_reported_in_one_message():
    bad = {"DJANGO_DEBUG": "maybe", "DATABASE_URL": "notaurl", "REDIS_URL": "http://x", "PORT": "x"}
    assert_stopped_naming(run_project("manage.py", "check", env={**os.environ, **bad}), *bad)


def test_access_key_without_secret_key_is_refused():
    env = {key: value for key, value in os.environ.items() if key != "AWS_SECRET_ACCESS_KEY"}
    env["AWS_ACCESS_KEY_ID"] = "some-key"
    assert_stopped_naming(run_project("manage.py", "check", env=env), "AWS_SECRET_ACCESS_KEY")


def test_gunicorn_refuses_to_start_on_a_bad_environment():
    env = {**os.environ, "REDIS_URL": "http://x", "DJANGO_SECRET_KEY": "short"}
    result = run_project("-m", "gunicorn", "--check-config", "config.wsgi", env=env)
    assert_stopped_naming(result, "REDIS_URL", "DJANGO_SECRET_KEY")


def test_development_runs_with_no_environment_and_says_it_is_not_production_safe(empty_env):
    result = run_project("manage.py", "check", env={**empty_env, "DJANGO_ENV": "development"})
    assert result.returncode == 0, result.stderr
    assert "NOT production-safe" in result.stderr
    assert "NOT stateless" in result.stderr


def test_production_environment_passes_the_checks():
    result = run_project("manage.py", "check", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr


def test_csrf_trusted_origins_come_from_the_environment():
    env = {**os.environ, "DJANGO_CSRF_TRUSTED_ORIGINS": "https://a.example.com,https://b.example.com"}
    result = run_project("-c", "from config import settings; print(settings.CSRF_TRUSTED_ORIGINS)", env=env)
    assert result.stdout.strip() == "['https://a.example.com', 'https://b.example.com']", result.stderr


def test_plain_http_on_loopback_drops_https_alone():
    """compose.yaml's site, reached at http://localhost:8080: no redirect to https and no Secure cookie;
    every other production rule holds."""
    names = "SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS DEBUG PRODUCTION"
    read = f"from config import settings; print(*(getattr(settings, name) for name in {names.split()}))"
    loopback = {**os.environ, "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1", "SITE_URL": "http://localhost:8080"}
    strict = run_project("-c", read, env=loopback)
    assert strict.stdout.split() == ["True", "True", "True", "31536000", "False", "True"], strict.stderr
    plain = run_project("-c", read, env={**loopback, "DJANGO_HTTP_ON_LOOPBACK": "true"})
    assert plain.stdout.split() == ["False", "False", "False", "0", "False", "True"], plain.stderr
    network = {**loopback, "DJANGO_ALLOWED_HOSTS": "localhost,10.0.0.5", "DJANGO_HTTP_ON_LOOPBACK": "true"}
    assert_stopped_naming(run_project("manage.py", "check", env=network), "DJANGO_HTTP_ON_LOOPBACK")


def test_the_readme_table_is_the_one_the_settings_generate():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert render(settings.VARIABLES) in readme, "README is out of date: run `make env-table`"


READS_OF_THE_ENVIRONMENT = """
import json, os
{%- if cookiecutter.worker == "celery" %}
import config  # and the Celery app it loads, whose libraries read variables of their own: not the settings
{%- endif %}
read = set()
class Recording(dict):
    def get(self, name, default=None):
        read.add(name)
        return super().get(name, default)
    def __getitem__(self, name):
        read.add(name)
        return super().__getitem__(name)
    def __contains__(self, name):
        read.add(name)
        return super().__contains__(name)
os.environ = Recording(os.environ)
from config import settings
print(json.dumps(sorted(read)))
"""


def test_the_settings_read_no_variable_outside_the_table():
    result = run_project("-c", READS_OF_THE_ENVIRONMENT, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    read = set(json.loads(result.stdout.splitlines()[-1]))
    assert "DJANGO_SECRET_KEY" in read  # the recording works
    assert read - set(settings.VARIABLES) <= {"RUN_MAIN"}  # runserver's reloader, for the start-up warning
