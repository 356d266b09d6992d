"""Settings: every value comes from the environment.

The first half reads and validates the environment (stateless/environment.py says how, and what
DJANGO_ENV's three modes mean) and stops the process with one message that lists every problem. The
second half configures Django, one backing service at a time. The README's table of variables is
generated from the ``variable()`` calls below.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.utils.http import is_same_domain

from stateless.environment import (
    Environment,
    admin_path,
    bucket_name,
    email_url,
    in_range,
    named_hosts,
    not_empty,
    off,
    one_of,
    secret_key_is_strong,
    sender,
    sentry_dsn,
    site_url,
    supported_database_url,
    url_with_scheme,
    urls_with_scheme,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Environment -----------------------------------------------------------------------------

environment = Environment()
DJANGO_ENV = environment.mode
DEVELOPMENT = DJANGO_ENV == "development"
PRODUCTION = environment.production
VARIABLES = environment.variables
variable = environment.variable

SECRET_KEY = variable(
    "DJANGO_SECRET_KEY",
    "Signs sessions, CSRF tokens and password-reset links. At least 50 random characters, no repeated pattern.",
    development="django-insecure-development-only-never-use-this-key-in-production",
    validate=secret_key_is_strong if PRODUCTION else None,
)
DEBUG = variable(
    "DJANGO_DEBUG",
    "Django's debug pages. Refused in production.",
    "bool",
    default=False,
    development=True,
    validate=off if PRODUCTION else None,
)
ALLOWED_HOSTS = variable(
    "DJANGO_ALLOWED_HOSTS",
    "Comma-separated host names the site answers to (`.example.com`: a domain and its subdomains). "
    "`*` is refused in production.",
    "list",
    development=["localhost", "127.0.0.1", "[::1]"],
    validate=[not_empty, named_hosts] if PRODUCTION else not_empty,
)
SITE_URL = variable(
    "SITE_URL",
    "The site's address in the links it sends (password-reset mail), never taken from a request's Host. "
    "Its host must be one of `DJANGO_ALLOWED_HOSTS`.",
    default="https://{{ cookiecutter.domain_name }}",
    development="http://localhost:8000",
    validate=[url_with_scheme("http", "https"), site_url],
)
CSRF_TRUSTED_ORIGINS = variable(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "Comma-separated origins (`https://host`) allowed to post forms from another origin.",
    "list",
    default=[],
    subcast=str,
    validate=urls_with_scheme("http", "https"),
)
HTTP_ON_LOOPBACK = variable(
    "DJANGO_HTTP_ON_LOOPBACK",
    "`true` where browsers reach the site over plain http on the machine that runs it (compose.yaml): "
    "no redirect to https, and cookies without the Secure flag, which Safari refuses over http. Refused "
    "unless every host of `DJANGO_ALLOWED_HOSTS` is a loopback name (localhost, 127.0.0.1, [::1]).",
    "bool",
    default=False,
)
ADMIN_URL = variable("DJANGO_ADMIN_URL", "Path of the admin site.", default="admin/", validate=admin_path)
LOG_LEVEL = variable(
    "DJANGO_LOG_LEVEL",
    "Lowest level of log records written to stdout.",
    default="INFO",
    validate=one_of(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
)
DATABASE_URL = variable(
    "DATABASE_URL",
    "PostgreSQL: `postgres://user:password@host:5432/name`.",
    development="sqlite:///db.sqlite3",
    validate=supported_database_url,
)
REDIS_URL = variable(
    "REDIS_URL",
    "Redis for sessions and cache: `redis://host:6379/0`, or `rediss://` for TLS. "
    "Unset in development: cache in process memory, sessions in the database.",
    development=None,
    validate=url_with_scheme("redis", "rediss"),
)
REDIS_TIMEOUT = variable(
    "REDIS_TIMEOUT",
    "Seconds to wait for Redis to connect or answer before the request fails.",
    "float",
    default=1.0,
    validate=in_range(min=0.05, max=30),
)
REDIS_KEY_PREFIX = variable(
    "REDIS_KEY_PREFIX",
    "Prefix of every key written to Redis.",
    default="{{ cookiecutter.project_slug }}",
)
AWS_STORAGE_BUCKET_NAME = variable(
    "AWS_STORAGE_BUCKET_NAME",
    "Bucket for uploaded media. Unset in development: media go to the local `media/` folder.",
    development=None,
    validate=bucket_name if PRODUCTION else None,
)
AWS_S3_ENDPOINT_URL = variable(
    "AWS_S3_ENDPOINT_URL",
    "URL of an S3-compatible store (MinIO, Ceph, R2, ...); unset for AWS S3.",
    default=None,
    validate=url_with_scheme("http", "https"),
)
AWS_S3_REGION_NAME = variable("AWS_S3_REGION_NAME", "Region of the bucket.", default=None)
AWS_ACCESS_KEY_ID = variable(
    "AWS_ACCESS_KEY_ID", "Access key for the bucket; unset to use the platform's role.", default=None
)
AWS_SECRET_ACCESS_KEY = variable(
    "AWS_SECRET_ACCESS_KEY", "Secret key that goes with `AWS_ACCESS_KEY_ID`.", default=None
)
EMAIL_URL = variable(
    "EMAIL_URL",
    "Where mail is sent (password resets): `submission://user:password@host:587` (STARTTLS), "
    "`smtp://user:password@host:465?ssl=true` (TLS) or `smtp://host:25` (a relay, no password). `dummy://`: "
    "the site sends no mail, so nobody can reset a password. `console://` (development): printed, not sent.",
    development="console://",
    validate=email_url(production=PRODUCTION),
)
DEFAULT_FROM_EMAIL = variable(
    "DEFAULT_FROM_EMAIL",
    "Sender of the site's mail: `no-reply@example.com` or `Name <no-reply@example.com>`.",
    default="no-reply@{{ cookiecutter.domain_name }}",
    validate=sender,
)
MAX_REQUEST_BODY_MB = variable(
    "MAX_REQUEST_BODY_MB",
    "Largest request body (uploads included) in MB; larger ones get 413.",
    "int",
    default=10,
    validate=in_range(min=1, max=1024),
)
PROXY_COUNT = variable(
    "PROXY_COUNT",
    "Proxies in front of the processes that each add an address to `X-Forwarded-For` (the load balancer: "
    "1). The login throttle counts per client address: the one the outermost of them added; 0 if clients "
    "connect directly.",
    "int",
    default=1,
    validate=in_range(min=0, max=10),
)
PORT = variable("PORT", "Port gunicorn listens on.", "int", default=8000, validate=in_range(1, 65535))
WEB_CONCURRENCY = variable("WEB_CONCURRENCY", "Gunicorn worker processes.", "int", default=2, validate=in_range(min=1))
{%- if cookiecutter.worker == "celery" %}
CELERY_BROKER_URL = variable(
    "CELERY_BROKER_URL",
    "Redis holding the worker's queue: `redis://host:6379/1`. Unset: `REDIS_URL`, with its keys under "
    "`REDIS_KEY_PREFIX:celery:`. Unset in development without Redis: tasks run in the request, no worker.",
    default=None,
    validate=url_with_scheme("redis", "rediss"),
)
CELERY_TASK_TIME_LIMIT = variable(
    "CELERY_TASK_TIME_LIMIT",
    "Seconds a task may run before its worker process is killed; the task is told 10% earlier "
    "(SoftTimeLimitExceeded). Shorter than `CELERY_VISIBILITY_TIMEOUT`.",
    "int",
    default=300,
    validate=in_range(min=1),
)
CELERY_VISIBILITY_TIMEOUT = variable(
    "CELERY_VISIBILITY_TIMEOUT",
    "Seconds after which a task that a worker took and never acknowledged (the worker died) is queued again. "
    "Longer than `CELERY_TASK_TIME_LIMIT`, or a slow task would run twice at once; the task of a dead worker "
    "waits this long, and up to a tenth more, before another worker runs it.",
    "int",
    default=900,
    validate=in_range(min=2),
)
WORKER_CONCURRENCY = variable(
    "WORKER_CONCURRENCY",
    "Task slots (processes) of each worker: each runs one task at a time.",
    "int",
    default=2,
    validate=in_range(min=1),
)
{%- endif %}
SENTRY_DSN = variable(
    "SENTRY_DSN",
    "Where errors and traces of slow requests go: a Sentry project's DSN, `https://public-key@host/project-id`. "
    "Unset: nothing of Sentry is loaded.",
    default=None,
    validate=sentry_dsn,
)
SENTRY_ENVIRONMENT = variable(
    "SENTRY_ENVIRONMENT",
    "The environment Sentry files events under: `production`, `staging`, ...",
    default="production",
    development="development",
)
SENTRY_RELEASE = variable(
    "SENTRY_RELEASE",
    "The release Sentry files events under, such as the commit the image was built from. "
    "Unset: `<project>@<version>` from `pyproject.toml`.",
    default=None,
)
SENTRY_TRACES_SAMPLE_RATE = variable(
    "SENTRY_TRACES_SAMPLE_RATE",
    "Share of requests traced, from 0 to 1: Sentry's view of slow requests and where their time went.",
    "float",
    default=0.1,
    validate=in_range(min=0, max=1),
)


problems = {}  # name: [messages], for rules that span variables; seal() adds each bad variable's own
if bool(AWS_ACCESS_KEY_ID) != bool(AWS_SECRET_ACCESS_KEY):
    problems["AWS_SECRET_ACCESS_KEY"] = ["set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither."]
if HTTP_ON_LOOPBACK and not set(ALLOWED_HOSTS or []) <= {"localhost", "127.0.0.1", "[::1]"}:
    problems["DJANGO_HTTP_ON_LOOPBACK"] = [
        "only for a site whose DJANGO_ALLOWED_HOSTS are loopback names alone (localhost, 127.0.0.1, [::1]): "
        "anywhere else, sessions would cross the network in clear text."
    ]
site_host = urlsplit(SITE_URL or "").hostname or ""
if SITE_URL and ALLOWED_HOSTS and not any(host == "*" or is_same_domain(site_host, host) for host in ALLOWED_HOSTS):
    problems["SITE_URL"] = ["its host is not one of DJANGO_ALLOWED_HOSTS: links to it would be refused."]
{%- if cookiecutter.worker == "celery" %}
if CELERY_TASK_TIME_LIMIT and CELERY_VISIBILITY_TIMEOUT and CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    problems["CELERY_VISIBILITY_TIMEOUT"] = [
        "must be longer than CELERY_TASK_TIME_LIMIT: a task still running would be given to another worker."
    ]
{%- endif %}
environment.seal(problems)

if DEVELOPMENT and os.environ.get("RUN_MAIN") != "true":  # once, not again in runserver's reloader
    embedded = []
    if DATABASE_URL.startswith("sqlite"):
        embedded.append("database in a local SQLite file")
    if not REDIS_URL:
        embedded.append("sessions in the database, cache in process memory")
    if not AWS_STORAGE_BUCKET_NAME:
        embedded.append("media on the local disk")
{%- if cookiecutter.worker == "celery" %}
    if not (CELERY_BROKER_URL or REDIS_URL):
        embedded.append("tasks run in the request, not in a worker")
{%- endif %}
    state = f" ({'; '.join(embedded)}): processes are NOT stateless" if embedded else ""
    print(
        f"WARNING: DJANGO_ENV=development is NOT production-safe{state}. Never run it this way in production.",
        file=sys.stderr,
    )

# --- Django ----------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/{{ cookiecutter.django_version }}/ref/settings/

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",  # the login throttle
    "stateless",  # keeps the processes stateless and operable: checks, sessions, storage, probes
{%- if cookiecutter.include_example_app == "yes" %}
    "documents",
{%- endif %}
]

MIDDLEWARE = [
    "stateless.middleware.RequestIdAndProbesMiddleware",  # before host validation and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: answered here, as whitenoise's docs say
    "stateless.middleware.ContentSecurityPolicyMiddleware",
    "stateless.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused login into a 429
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "{{ cookiecutter.time_zone }}"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Database: PostgreSQL from DATABASE_URL --------------------------------------------------
# https://github.com/jazzband/dj-database-url
# Persistent connections, checked before reuse so that a restarted server costs no request.

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 3  # fail fast, not at the worker timeout

# --- Redis: sessions and cache ---------------------------------------------------------------
# https://github.com/jazzband/django-redis
{%- if cookiecutter.session_store == "redis+db" %}
# Sessions use their own alias and key prefix. They are written to PostgreSQL and cached in Redis
# (stateless/sessions/cached_db.py), so a Redis outage or flush loses no session and fails no request: the
# session store tolerates errors on its alias, and logs them.
{%- else %}
# Sessions use their own alias and key prefix, and errors are never ignored on it: the cache
# session engine retries a failing Redis thousands of times when errors are swallowed. Sessions
# survive a Redis restart only when Redis persists them (append-only file, noeviction).
{%- endif %}
#
# Values in Redis are JSON, never pickles (django-redis pickles by default): whoever can write a key
# to Redis would otherwise run code in every process that reads it. The session engines store JSON
# whatever this says (stateless/sessions/); the default cache does so because of it. Code that caches
# gets back what JSON holds: dicts, lists (tuples come back as lists), strings, numbers, booleans and
# None; datetimes, Decimals and UUIDs come back as strings. Cache plain data built from objects (ids,
# dicts), not model instances, querysets or responses: Django's cache_page and per-site cache
# middleware store response objects and do not work with it. A value that is not JSON raises.

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
if REDIS_URL:
    redis_options = {
        "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
        "SOCKET_TIMEOUT": REDIS_TIMEOUT,
        "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_KEY_PREFIX}:cache",
            "OPTIONS": redis_options,
        },
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_KEY_PREFIX}:session",
            "TIMEOUT": SESSION_COOKIE_AGE,
            "OPTIONS": redis_options,
        },
    }
    SESSION_ENGINE = "stateless.sessions.{{ 'cached_db' if cookiecutter.session_store == 'redis+db' else 'cache' }}"
    SESSION_CACHE_ALIAS = "sessions"
else:  # development only: sessions in SQLite survive runserver's reloads
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Login throttle: failed logins counted in Redis ------------------------------------------
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# At most 10 failed logins per account and per client address in 15 minutes: after that, logins of
# that account, and from that address, are refused (429, without checking the password) until 15
# minutes have passed since the last failure counted; a refused attempt is not counted. The counts
# are in the default cache, Redis, so that every process sees the same ones (stateless.E002 and
# E008 refuse counts kept in the process). The client address is the one the load balancer added to
# X-Forwarded-For (PROXY_COUNT, stateless/throttle.py), never one the client wrote there.
{%- if cookiecutter.session_store == "redis+db" %}
# While Redis is down, failures are counted in the database instead, so that logins go on, as
# sessions do (stateless/throttle.py).
{%- else %}
# While Redis is down, a login attempt is a 503, as its session would be: none goes uncounted.
{%- endif %}

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "{{ 'stateless.throttle.LoginThrottle' if cookiecutter.session_store == 'redis+db' else 'axes.handlers.cache.AxesCacheHandler' }}"
AXES_CACHE = "default"
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "stateless.throttle.client_address"
AXES_USERNAME_CALLABLE = "stateless.throttle.account"
AXES_HTTP_RESPONSE_CODE = 429  # Too Many Requests
AXES_VERBOSE = False  # no banner at start; log lines name what is counted, masked
{%- if cookiecutter.session_store == "redis+db" %}
AXES_ENABLE_ADMIN = True  # its tables hold the counts made while Redis was down
{%- else %}
AXES_ENABLE_ADMIN = False  # its tables stay empty: the counts are in Redis
{%- endif %}
{%- if cookiecutter.worker == "celery" %}

# --- Worker: Celery, its queue in Redis ------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html
# No task is lost, none runs twice at once, none runs on state of the process that queued it:
# - a task is acknowledged once it ran, never when taken; if its worker process dies it goes back at
#   once; if the whole worker dies (kill -9, a lost node), Redis, which has no acknowledgements, gives
#   it to another worker after CELERY_VISIBILITY_TIMEOUT. kombu looks for such tasks every tenth of it
#   (by default only every 100 s, however short the timeout).
# - each slot takes one task at a time and none in advance: a dead worker held as few as it could;
# - JSON only: whoever can write to Redis must not be able to run code in the worker (pickle);
# - time limits, shorter than the visibility timeout (checked above);
# - no result backend: a task stores what it makes where the site reads it (the document's digest);
# - on a lost broker connection the running tasks are cancelled and run again later, as Celery's
#   documentation advises with late acknowledgement, rather than run twice at once.
# Tasks take ids, never model instances or file paths, and read media from the bucket.

CELERY_BROKER_URL = CELERY_BROKER_URL or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # development without Redis: tasks run in the request
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:",
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, CELERY_VISIBILITY_TIMEOUT // 10),
    "unacked_restore_throttle": 1,  # every sweep looks: the interval alone sets the cadence
    "socket_connect_timeout": REDIS_TIMEOUT,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = WORKER_CONCURRENCY
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 0.9
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # its lines go through LOGGING below: JSON in production
{%- endif %}

# --- Storage: media in S3 (or any S3-compatible store), static files by whitenoise -----------
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
# https://whitenoise.readthedocs.io/en/stable/django.html
# Static files are compiled at build time (collectstatic) and served, hashed and compressed,
# from the image; media never touch the process's disk.

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "stateless.storage.MediaStorage",  # S3Storage with time limits
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            "default_acl": None,  # objects stay private, as the bucket is
            "querystring_auth": True,  # URLs are signed and expire
            "querystring_expire": 3600,
            "file_overwrite": True,  # never asks whether a key is taken: MediaStorage makes each one unique
            "object_parameters": {"ContentDisposition": "attachment"},  # downloaded, never rendered on its origin
        },
    }
else:  # development only
    STORAGES["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_ROOT = BASE_DIR / "media"
    MEDIA_URL = "media/"

# --- Security --------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/{{ cookiecutter.django_version }}/howto/deployment/checklist/
# TLS ends at the load balancer, which says so in X-Forwarded-Proto. Browsers reach production over
# https alone, except a site on loopback hosts that says it is reached over plain http (compose.yaml).

HTTPS_ONLY = PRODUCTION and not HTTP_ON_LOOPBACK
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# https://django-csp.readthedocs.io/ - everything from this origin only; no inline scripts or styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}

# --- Passwords: Django's four validators ----------------------------------------------------
# https://docs.djangoproject.com/en/{{ cookiecutter.django_version }}/topics/auth/passwords/#password-validation
# At least 15 characters: NIST SP 800-63B-4 (2025) asks 15 of a password that is the only factor, as
# here; length is what makes a password hard to guess, so no rule on kinds of characters. Also refused:
# the 20,000 most common passwords, passwords made of digits alone, and passwords like the user's
# name or e-mail address.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 15}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email: from EMAIL_URL -------------------------------------------------------------------
# https://github.com/migonzalvar/dj-email-url
# Links in mail go to SITE_URL (config/urls.py), never to the Host of the request that sent it.

mail = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = mail["EMAIL_BACKEND"]
EMAIL_HOST = mail["EMAIL_HOST"] or "localhost"
EMAIL_PORT = mail["EMAIL_PORT"] or (465 if mail["EMAIL_USE_SSL"] else 25)
EMAIL_HOST_USER = mail["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = mail["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = mail["EMAIL_USE_TLS"]
EMAIL_USE_SSL = mail["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = mail["EMAIL_TIMEOUT"] or 10  # seconds: a server that hangs never holds a worker for long
EMAIL_FILE_PATH = mail["EMAIL_FILE_PATH"] or None  # file:// (development only)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Error reports: no credentials ----------------------------------------------------------
# Debug pages and error reports list the settings; Django hides API, TOKEN, KEY, SECRET, PASS and
# SIGNATURE names only. This filter also hides every URL (DATABASE_URL, REDIS_URL, ...) and LOCATION.

DEFAULT_EXCEPTION_REPORTER_FILTER = "stateless.errors.CredentialsFilter"

# --- Logging: one line per record on stdout; JSON in production ------------------------------
# https://docs.djangoproject.com/en/{{ cookiecutter.django_version }}/topics/logging/

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "stateless.logs.RequestIdFilter"},
        "short_warning": {"()": "stateless.logs.ShortWarning"},
    },
    "formatters": {
        "json": {"()": "stateless.logs.JsonFormatter"},
        "readable": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "json" if PRODUCTION else "readable",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.security.DisallowedHost": {"filters": ["short_warning"]},  # a bad Host header: the client's fault
    },
}

# --- Error tracking: Sentry, only when SENTRY_DSN is set ---------------------------------------
# https://docs.sentry.io/platforms/python/integrations/django/
# stateless/error_tracking.py says what is sent: errors and a share of traces, with the request id and
# without personal data; an outage of a backing service once, not once per request.

if SENTRY_DSN:
    from stateless import error_tracking

    error_tracking.start(
        SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_RELEASE or error_tracking.release(), SENTRY_TRACES_SAMPLE_RATE
    )
