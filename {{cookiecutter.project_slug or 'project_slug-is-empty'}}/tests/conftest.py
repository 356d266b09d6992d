"""Test set-up for the whole suite.

``make test`` runs every test in production mode against real PostgreSQL, Redis and an S3 server:
the ones the environment names, or throwaway ones that tests/harness/services.py starts. ``make
test-fast`` (``pytest --fast``) runs the team's own tests alone, without tests/guarantees, on the
embedded development defaults: SQLite in memory, process memory, a temporary media folder, no
server. The team's tests pass both ways.

Django is configured in pytest_configure, once the services are known; pytest-django sets it up next.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.harness.processes import run_project
from tests.harness.services import ServiceError, Services

GUARANTEES = Path(__file__).resolve().parent / "guarantees"
services = Services("{{ cookiecutter.project_slug }}")


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        help="the team's tests only (not tests/guarantees), on the embedded development defaults: no server",
    )


def pytest_configure(config):
    if config.option.help or config.option.version:
        return
    if config.option.fast:
        for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"):
            os.environ.pop(name, None)
        os.environ["DJANGO_ENV"] = "development"
    else:
        try:
            os.environ.update(services.environment())
        except (ServiceError, subprocess.CalledProcessError) as error:
            services.stop()
            pytest.exit(f"Cannot start the backing services for the tests: {error}", returncode=3)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    from django.conf import settings

    settings.DATABASES  # noqa: B018 - loads the settings now; pytest-django sets Django up next


def pytest_unconfigure(config):
    services.stop()


def pytest_ignore_collect(collection_path, config):
    if config.option.fast and (collection_path == GUARANTEES or GUARANTEES in collection_path.parents):
        return True
    return None


@pytest.fixture(scope="session", autouse=True)
def static_build():
    """Static files compiled as the image build does, before anything serves a page: an empty
    environment, no secret."""
    result = run_project("manage.py", "collectstatic", "--noinput", env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(request, tmp_path):
    """Uploads of a development-mode run land in the test's own folder, never in the project."""
    from django.conf import settings

    if not settings.AWS_STORAGE_BUCKET_NAME:
        request.getfixturevalue("settings").MEDIA_ROOT = tmp_path


@pytest.fixture
def client():
    """A client that comes through the TLS-terminating load balancer, as production traffic does."""
    return Client(headers={"X-Forwarded-Proto": "https"})
