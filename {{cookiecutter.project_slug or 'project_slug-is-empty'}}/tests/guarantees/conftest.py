"""Fixtures of the template's guarantees: production processes of the project on the test services."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.harness.processes import Balancer, Visitor, WebProcess


def pytest_collection_modifyitems(items):
    """A test that starts processes on the test database needs that database, even when it does not
    touch it itself: pytest-django creates test databases only for the tests marked as using one."""
    for item in items:
        if "process_env" in item.fixturenames and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session", autouse=True)
def production_mode():
    if not settings.PRODUCTION:
        pytest.exit("tests/guarantees run in production mode only: `make test`, not `make test-fast`.", 4)


@pytest.fixture(scope="session")
def process_env(django_db_setup):
    """The environment of a production process that uses the test database."""
    test_database = f"/{settings.DATABASES['default']['NAME']}"
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=test_database).geturl()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # gunicorn of this venv
    return {**os.environ, "DATABASE_URL": url, "PATH": path}


@pytest.fixture
def production_env(process_env, transactional_db):
    """``process_env`` for a test whose data other processes must see: committed, not inside a
    test's transaction."""
    return dict(process_env)


@pytest.fixture(scope="module")
def web(process_env, static_build, tmp_path_factory):
    """The Procfile's web process in production mode, also serving the probe views
    (tests/harness/probe.py), for one module."""
    web = WebProcess(process_env, tmp_path_factory.mktemp("web")).start()
    yield web
    web.stop()


@pytest.fixture
def visitor(web, transactional_db):
    """A browser whose requests all go to ``web``."""
    return Visitor(Balancer(web))
