"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators, answered by
stateless.middleware.HealthCheckMiddleware.

Liveness touches nothing: a process that answers is alive. Readiness checks every backing service,
each bounded in time, and names what failed.
"""

from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django_redis import get_redis_connection

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
CHECK_TIMEOUT = 1.0  # seconds for all checks together; they run side by side

checks_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readiness")


def database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections.close_all()  # this thread's connections only


def migrations():
    try:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    finally:
        connections.close_all()
    if unapplied:
        raise RuntimeError(f"{len(unapplied)} migrations not applied")


def redis_aliases():
    return [alias for alias, cache in settings.CACHES.items() if cache["BACKEND"].startswith("django_redis.")]


def redis(clients):
    for client in clients:
        client.ping()


def bucket(client):
    client.head_bucket(Bucket=default_storage.bucket_name)


def static_manifest():
    if not staticfiles_storage.exists(staticfiles_storage.manifest_name):
        raise RuntimeError("static manifest missing: run collectstatic at build time")


def readiness_checks():
    checks = {"database": database, "migrations": migrations, "static": static_manifest}
    # Clients are made here, outside the time limit: the first import of redis or boto3 takes a while.
    if redis_aliases():
        checks["redis"] = partial(redis, [get_redis_connection(alias) for alias in redis_aliases()])
    if hasattr(default_storage, "bucket_name"):  # an S3Storage: stateless.storage.MediaStorage
        checks["storage"] = partial(bucket, default_storage.connection.meta.client)  # thread-safe
    return checks


def readiness():
    running = {name: checks_pool.submit(check) for name, check in readiness_checks().items()}
    wait(running.values(), timeout=CHECK_TIMEOUT)
    results = {}
    for name, future in running.items():
        if not future.done():
            results[name] = f"timed out after {CHECK_TIMEOUT} s"
        elif error := future.exception():
            results[name] = f"{type(error).__name__}: {error}"[:300]
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    body = {"status": "unavailable" if failed else "ready", "failed": failed, "checks": results}
    return JsonResponse(body, status=503 if failed else 200)
