"""Settings of the benchmark's variants, picked by BENCH_VARIANT (see bench/benchmark.py).

The load harness wraps this module with its own settings wrapper and URLs. Only the variants named
"in-process" and "db-sessions" change the project's settings, and only as their names say.
"""

import os

VARIANT = os.environ["BENCH_VARIANT"]

if VARIANT == "bare":  # `django-admin startproject bare`, with the two settings any deployment changes
    from bare.settings import *  # noqa: F403

    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    DATABASES["default"]["NAME"] = str(DATABASES["default"]["NAME"])  # noqa: F405 - the harness needs JSON
else:
    from config.settings import *  # noqa: F403

if VARIANT == "in-process":  # the stateful upper bound: a yardstick, never a valid configuration
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"bench-{alias}"}
        for alias in ("default", "sessions")
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
elif VARIANT == "db-sessions":
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
elif VARIANT not in ("shipped", "bare"):
    raise ValueError(f"unknown BENCH_VARIANT {VARIANT!r}")

if os.environ.get("BENCH_SESSION_READ"):  # the read-only session scenario (bench_read.py)
    MIDDLEWARE = ["bench_read.route_to_read_only_session_view", *MIDDLEWARE]  # noqa: F405
