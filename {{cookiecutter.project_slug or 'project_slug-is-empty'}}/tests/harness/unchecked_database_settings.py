"""Negative control for the PostgreSQL restart test: persistent connections reused unchecked."""

from tests.harness.probe_settings import *  # noqa: F403
from tests.harness.probe_settings import DATABASES

DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
