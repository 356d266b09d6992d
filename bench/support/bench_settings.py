"""Settings of the benchmark's variants, picked by BENCH_VARIANT (see bench/benchmark.py).

Each variant takes a project's settings as they are and adds the benchmark's probes: its URLconf
(bench_urls.py) goes in front of the project's own, and its static file (static/bench/) joins the
project's static files, collected into BENCH_STATIC_ROOT. Only the variants named "in-process",
"db-sessions" and "bare-whitenoise" change more, and only as their names say.
"""

import os
from importlib import import_module
from pathlib import Path

VARIANT = os.environ["BENCH_VARIANT"]
VARIANTS = ("shipped", "in-process", "db-sessions", "bare", "bare-whitenoise")
if VARIANT not in VARIANTS:
    raise ValueError(f"unknown BENCH_VARIANT {VARIANT!r}: one of {', '.join(VARIANTS)}")

# `django-admin startproject bare` for the bare variants, else the project's settings: all of them.
base = import_module("bare.settings" if VARIANT.startswith("bare") else "config.settings")
globals().update((name, value) for name, value in vars(base).items() if name.isupper())

if VARIANT.startswith("bare"):  # with the two settings any deployment changes
    DEBUG = False
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

if VARIANT == "in-process":  # the stateful upper bound: a yardstick, never a valid configuration
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"bench-{alias}"}
        for alias in ("default", "sessions")
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
elif VARIANT == "db-sessions":
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
elif VARIANT == "bare-whitenoise":  # what whitenoise's documentation says to add, and nothing else
    MIDDLEWARE = list(base.MIDDLEWARE)
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# The probes. Their URLs come first, so that resolving them costs every variant the same; the
# project's own URLconf is still imported, as a real request would.
BENCH_PROJECT_URLCONF = base.ROOT_URLCONF
ROOT_URLCONF = "bench_urls"
STATICFILES_DIRS = [*getattr(base, "STATICFILES_DIRS", []), Path(__file__).resolve().parent / "static"]
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
