"""Negative control for the cross-process tests: state kept in the process and on its disk.

Sessions and cache in process memory, media in the project's media/ folder. Never a valid
configuration: the statelessness checks refuse it, and tests/guarantees/test_stateless.py must catch it.
"""

from tests.harness.probe_settings import *  # noqa: F403
from tests.harness.probe_settings import BASE_DIR, STORAGES

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"
STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
MEDIA_ROOT = BASE_DIR / "media"
