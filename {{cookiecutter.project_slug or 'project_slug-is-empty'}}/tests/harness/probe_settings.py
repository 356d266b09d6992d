"""The project's own settings, serving the probe views of tests/harness/probe.py besides its own URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.harness.probe"
