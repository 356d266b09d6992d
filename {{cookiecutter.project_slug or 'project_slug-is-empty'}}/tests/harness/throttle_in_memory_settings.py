"""Negative control for the login throttle's cross-process proofs: the project as it is, but with
the throttle counting failed logins in each process's memory. Never a valid configuration: the
statelessness checks refuse it, and tests/guarantees/test_stateless.py must catch it."""

from tests.harness.probe_settings import *  # noqa: F403
from tests.harness.probe_settings import CACHES

CACHES = {**CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_CACHE = "throttle"
