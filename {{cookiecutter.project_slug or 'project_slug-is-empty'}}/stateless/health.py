"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators, answered by
stateless.middleware.RequestIdAndProbesMiddleware.

Liveness touches nothing: a process that answers is alive.

Readiness answers "can this process serve": its database answers and has every migration of this
release (a process of a new release waits for the release phase), and its static files were built.
Redis and the bucket are shared by every process: while one of them is down the site still serves
what does not need it (pages without a session, static files, everything but uploads), and making
every process unready at once would turn that partial outage into a total one. Their failures are
named as "degraded", and the answer stays 200.

The answer is public: the names of failing checks and nothing more; what failed and why goes to the
log, with the request id. Each check is bounded in time, at most one of each runs at a time (a hung
service is not asked again while it hangs), and a result is reused for RESULT_SECONDS.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django_redis import get_redis_connection

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
REQUIRED = ("database", "migrations", "static")  # what this process cannot serve without
CHECK_TIMEOUT = 1.0  # seconds for all checks together; they run side by side
RESULT_SECONDS = 2.0

logger = logging.getLogger(__name__)
checks_pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="readiness")
running: dict[str, Future[Any]] = {}  # name: the future of that check, until it is done
last_result: tuple[float, dict[str, str | None]] = (float("-inf"), {})  # (when, {name: None or what failed})
lock = threading.Lock()


def on_this_threads_connection(query):
    """Queries on the checking thread's own connection, kept open between checks; a broken or old
    one is closed, and made again by the next check."""
    connection.close_if_unusable_or_obsolete()
    try:
        return query()
    except Exception:
        connection.close()
        raise


def select_one():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def database():
    on_this_threads_connection(select_one)


def unapplied_migrations():
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def migrations():
    if unapplied := on_this_threads_connection(unapplied_migrations):
        raise RuntimeError(f"{len(unapplied)} migrations not applied")


def redis_aliases():
    return [alias for alias, cache in settings.CACHES.items() if cache["BACKEND"].startswith("django_redis.")]


def redis(clients):
    for client in clients:
        client.ping()


def bucket(client, name):
    client.head_bucket(Bucket=name)


def static_manifest():
    if not staticfiles_storage.exists(cast(ManifestFilesMixin, staticfiles_storage).manifest_name):
        raise RuntimeError("static manifest missing: run collectstatic at build time")


def readiness_checks():
    checks = {"database": database, "migrations": migrations, "static": static_manifest}
    # Clients are made here, outside the time limit: the first import of redis or boto3 takes a while.
    if redis_aliases():
        checks["redis"] = partial(redis, [get_redis_connection(alias) for alias in redis_aliases()])
    media: Any = default_storage  # django-storages ships no types
    if hasattr(media, "bucket_name"):  # an S3Storage: stateless.storage.MediaStorage
        checks["storage"] = partial(bucket, media.connection.meta.client, media.bucket_name)  # thread-safe
    return checks


def check_everything():
    checks = readiness_checks()
    for name, check in checks.items():
        if name not in running:
            running[name] = checks_pool.submit(check)
    wait([running[name] for name in checks], timeout=CHECK_TIMEOUT)
    problems = {}
    for name in checks:
        future = running[name]
        if not future.done():
            problems[name] = f"no answer within {CHECK_TIMEOUT} s"
            continue
        del running[name]
        if error := future.exception():
            problems[name] = f"{type(error).__name__}: {error}"[:500]
    for name, problem in problems.items():
        logger.warning("Readiness: %s failed: %s", name, problem)
    return problems


def readiness():
    global last_result
    with lock:  # one check at a time in this process; a request that waited reuses its result
        checked_at, problems = last_result
        if time.monotonic() - checked_at >= RESULT_SECONDS:
            problems = check_everything()
            last_result = time.monotonic(), problems
    failed = sorted(name for name in problems if name in REQUIRED)
    body = {
        "status": "unavailable" if failed else "ready",
        "failed": failed,
        "degraded": sorted(name for name in problems if name not in REQUIRED),
    }
    return JsonResponse(body, status=503 if failed else 200)
