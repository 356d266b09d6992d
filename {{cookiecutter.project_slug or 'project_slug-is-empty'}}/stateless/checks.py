"""System checks that refuse state kept in the process or on its disk.

They run with ``manage.py check`` and before ``migrate``, so the release phase stops a stateful
configuration before any process serves it. In production every finding is an error
(``stateless.E0nn``); in development and build mode the same finding is a warning (``stateless.W0nn``),
so that the embedded default keeps working. ``manage.py check --tag stateless`` runs only these.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends import cache as cache_sessions
from django.contrib.sessions.backends import cached_db, file, signed_cookies
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

PROCESS_LOCAL_CACHES = (LocMemCache, FileBasedCache, DummyCache)
DJANGO_DEFAULT_CACHE = "django.core.cache.backends.locmem.LocMemCache"
REDIS_CACHES: dict[str, tuple[str, ...]] = {  # backend -> its two socket timeout options
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout", "socket_timeout"),
}


def finding(number, message, hint):
    if settings.PRODUCTION:
        return checks.Error(message, hint=hint, id=f"stateless.E{number:03d}")
    return checks.Warning(message, hint=hint, id=f"stateless.W{number:03d}")


def cache_backend(alias):
    return import_string(settings.CACHES.get(alias, {}).get("BACKEND", DJANGO_DEFAULT_CACHE))


def session_store():
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


@checks.register("stateless")
def sessions_leave_the_process(app_configs, **kwargs):
    store, alias = session_store(), settings.SESSION_CACHE_ALIAS
    backend = cache_backend(alias)
    if issubclass(store, file.SessionStore):
        return [finding(1, "Sessions are kept in files on this process's disk.", "Use the cache engine on Redis.")]
    uses_cache = issubclass(store, (cache_sessions.SessionStore, cached_db.SessionStore))
    if uses_cache and issubclass(backend, PROCESS_LOCAL_CACHES):
        return [
            finding(
                1,
                f"Sessions are kept in the {alias!r} cache, which lives in this process ({backend.__name__}).",
                f"Point CACHES[{alias!r}] at Redis (django_redis.cache.RedisCache).",
            )
        ]
    allowed_signed_cookies = getattr(settings, "STATELESS_ALLOW_SIGNED_COOKIES", False)
    if issubclass(store, signed_cookies.SessionStore) and not allowed_signed_cookies:
        return [
            finding(
                1,
                "Sessions are kept in signed cookies: a logout cannot revoke a copied cookie.",
                "Use the cache engine on Redis, or set STATELESS_ALLOW_SIGNED_COOKIES = True to accept this.",
            )
        ]
    return []


@checks.register("stateless")
def cache_is_shared(app_configs, **kwargs):
    backend = cache_backend("default")
    if issubclass(backend, PROCESS_LOCAL_CACHES):
        return [
            finding(
                2,
                f"The default cache lives in this process or on its disk ({backend.__name__}).",
                "Point CACHES['default'] at Redis (django_redis.cache.RedisCache).",
            )
        ]
    return []


@checks.register("stateless")
def media_leave_the_disk(app_configs, **kwargs):
    backend = import_string(settings.STORAGES["default"]["BACKEND"])
    if issubclass(backend, FileSystemStorage):
        return [
            finding(
                3,
                "Uploaded media are stored on this process's disk.",
                "Set STORAGES['default'] to storages.backends.s3.S3Storage (any S3-compatible store).",
            )
        ]
    return []


@checks.register("stateless")
def static_files_are_compiled_at_build_time(app_configs, **kwargs):
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    if not issubclass(backend, ManifestFilesMixin):
        return [
            finding(
                4,
                f"Static files are served without a manifest ({backend.__name__}): nothing ties them to the build.",
                "Use whitenoise.storage.CompressedManifestStaticFilesStorage and run collectstatic at build time.",
            )
        ]
    return []


@checks.register("stateless")
def database_is_a_server(app_configs, **kwargs):
    return [
        finding(
            5,
            f"Database {alias!r} is SQLite: a file on this process's disk.",
            "Set DATABASE_URL to a PostgreSQL server.",
        )
        for alias, database in settings.DATABASES.items()
        if "sqlite" in database["ENGINE"]
    ]


@checks.register("stateless")
def session_errors_are_not_swallowed(app_configs, **kwargs):
    alias = settings.SESSION_CACHE_ALIAS
    options = settings.CACHES.get(alias, {}).get("OPTIONS", {})
    ignored = options.get("IGNORE_EXCEPTIONS", getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False))
    if issubclass(session_store(), cache_sessions.SessionStore) and ignored:
        return [
            finding(
                6,
                f"The cache session engine ignores errors of its cache {alias!r}: an outage silently "
                "logs everyone out and every request retries a dead Redis.",
                f"Remove IGNORE_EXCEPTIONS from CACHES[{alias!r}] (or use the cached_db engine).",
            )
        ]
    return []


@checks.register("stateless")
def redis_has_timeouts(app_configs, **kwargs):
    findings = []
    for alias, cache in settings.CACHES.items():
        timeouts = REDIS_CACHES.get(cache.get("BACKEND", ""), ())
        missing = [option for option in timeouts if not cache.get("OPTIONS", {}).get(option)]
        if missing:
            findings.append(
                finding(
                    7,
                    f"Cache {alias!r} waits on Redis without a limit: {', '.join(missing)} not set.",
                    f"Set {' and '.join(missing)} in CACHES[{alias!r}]['OPTIONS'] (REDIS_TIMEOUT does).",
                )
            )
    return findings


@checks.register("stateless")
def login_failures_are_counted_outside_the_process(app_configs, **kwargs):
    if not apps.is_installed("axes") or not getattr(settings, "AXES_ENABLED", True):
        return []
    from axes.handlers.cache import AxesCacheHandler

    alias = getattr(settings, "AXES_CACHE", "default")
    if alias == "default":
        return []  # stateless.E002 refuses a default cache in the process, which counts them too
    handler = import_string(getattr(settings, "AXES_HANDLER", "axes.handlers.database.AxesDatabaseHandler"))
    backend = cache_backend(alias)
    if issubclass(handler, AxesCacheHandler) and issubclass(backend, PROCESS_LOCAL_CACHES):
        return [
            finding(
                8,
                f"Failed logins are counted in the {alias!r} cache, which no other process sees ({backend.__name__}): "
                "a guesser gets the whole limit from each process.",
                f"Point CACHES[{alias!r}] at Redis (django_redis.cache.RedisCache), or AXES_CACHE at a cache that is.",
            )
        ]
    return []
{%- if cookiecutter.worker == "celery" %}


IN_PROCESS_BROKERS = ("memory", "filesystem", "sqla+sqlite")  # kombu transports kept in a process or on its disk
IN_PROCESS_RESULTS = ("cache+memory", "file", "db+sqlite")  # result backends of the same kind
PICKLE = ("pickle", "application/x-python-serialize")


def scheme(url):
    return str(url or "").partition("://")[0].lower()


@checks.register("stateless")
def tasks_are_queued_outside_the_process(app_configs, **kwargs):
    broker = getattr(settings, "CELERY_BROKER_URL", None)
    if broker and scheme(broker) in IN_PROCESS_BROKERS:
        return [
            finding(
                9,
                f"The task queue lives in this process or on its disk ({scheme(broker)}://): no other process "
                "takes its tasks, and they are lost with it.",
                "Set CELERY_BROKER_URL (or REDIS_URL) to Redis.",
            )
        ]
    return []


@checks.register("stateless")
def task_results_are_kept_outside_the_process(app_configs, **kwargs):
    backend = getattr(settings, "CELERY_RESULT_BACKEND", None)
    if backend and scheme(backend) in IN_PROCESS_RESULTS:
        return [
            finding(
                10,
                f"Task results are kept in this process or on its disk ({scheme(backend)}://).",
                "Store what a task makes in the database, or keep results in Redis with CELERY_RESULT_EXPIRES.",
            )
        ]
    return []


@checks.register("stateless")
def tasks_run_in_a_worker(app_configs, **kwargs):
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return [
            finding(
                11,
                "Tasks run in the process that queues them (CELERY_TASK_ALWAYS_EAGER): a slow task holds a "
                "request, and a failed one is never run again.",
                "Set REDIS_URL (or CELERY_BROKER_URL) so that tasks go to the worker process type.",
            )
        ]
    return []


@checks.register("stateless")
def tasks_accept_no_pickle(app_configs, **kwargs):
    accepted = {
        *getattr(settings, "CELERY_ACCEPT_CONTENT", ["json"]),
        getattr(settings, "CELERY_TASK_SERIALIZER", "json"),
        getattr(settings, "CELERY_RESULT_SERIALIZER", "json"),
    }
    if accepted & set(PICKLE):
        return [
            finding(
                12,
                "Tasks may be pickles: whoever can write to Redis can run code in the worker.",
                'Set CELERY_ACCEPT_CONTENT = ["json"] and the JSON serializer for tasks and results.',
            )
        ]
    return []
{%- endif %}
