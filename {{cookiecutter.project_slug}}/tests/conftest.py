"""Test set-up: real services, a production-mode environment, and helpers to run the project.

Django is configured here, in pytest_configure, after the services are known: pytest-django then
sets it up. Tests run the production configuration, as deployed.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.services import ServiceError, Services

PROJECT_DIR = Path(__file__).resolve().parent.parent
SLUG = "{{ cookiecutter.project_slug }}"
services = Services(SLUG)


def pytest_configure(config):
    if config.option.help or config.option.version:
        return
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


def run_project(*args, env=None, timeout=60):
    """Run a command of the project (``manage.py check``, say) in a fresh process."""
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def client():
    """A client that comes through the TLS-terminating load balancer, as production traffic does."""
    return Client(headers={"X-Forwarded-Proto": "https"})


@pytest.fixture(scope="session")
def process_env(django_db_setup):
    """The environment of a production process that uses the test database."""
    from django.conf import settings

    test_database = f"/{settings.DATABASES['default']['NAME']}"
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=test_database).geturl()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # gunicorn of this venv
    return {**os.environ, "DATABASE_URL": url, "PATH": path}


@pytest.fixture
def production_env(process_env, transactional_db):
    """``process_env`` for a test whose data other processes must see: committed, not inside a
    test's transaction."""
    return dict(process_env)


@pytest.fixture(scope="session", autouse=True)
def static_build():
    """Static files compiled as the image build does, before anything serves a page: an empty
    environment, no secret."""
    result = run_project("manage.py", "collectstatic", "--noinput", env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def bucket():
    """The test bucket, through boto3 over the network."""
    from django.core.files.storage import default_storage

    return default_storage.bucket


@pytest.fixture(scope="module")
def web(process_env, static_build, tmp_path_factory):
    """The Procfile's web process in production mode, also serving tests/probe.py, for one module."""
    from tests.processes import WebProcess

    env = {**process_env, "DJANGO_SETTINGS_MODULE": "tests.probe_settings"}
    web = WebProcess(env, tmp_path_factory.mktemp("web")).start()
    yield web
    web.stop()


@pytest.fixture
def visitor(web, transactional_db):
    """A browser whose requests all go to ``web``."""
    from tests.processes import Balancer, Visitor

    return Visitor(Balancer(web))
