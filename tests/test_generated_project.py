"""Each baked variant passes its own tests and linters on real services, builds with an empty
environment, has its migrations, and passes Django's deployment checks."""

import os
import secrets
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

from tests.conftest import bake, own_database, run, tool_env
from tests.variants import FULL


def project_env(project, **overrides):
    return tool_env(DATABASE_URL=own_database(project.short_name), **overrides)


@pytest.mark.parametrize("project", FULL, indirect=True)
def test_its_own_tests_pass_on_real_services(project, tmp_path):
    version = run([".venv/bin/python", "-c", "import platform; print(platform.python_version())"], project.path)
    assert version.stdout.startswith(f"{project.python}."), f"installed on Python {version.stdout}"
    report = tmp_path / "report.xml"
    arguments = f"PYTEST_ARGS=-q -p no:cacheprovider --junitxml={report}"
    result = run(["make", "test", arguments], project.path, env=project_env(project), timeout=2400)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
    cases = ElementTree.parse(report).getroot().iter("testcase")
    cross_process = [case for case in cases if case.get("classname") == "tests.guarantees.test_stateless"]
    assert len(cross_process) >= 12, "the cross-process suite did not run"
    outcomes = {child.tag for case in cross_process for child in case}
    assert not outcomes & {"failure", "error", "skipped"}, "a cross-process test did not pass"


def test_its_fast_target_runs_the_teams_tests_without_any_server(project):
    # No network at all, not even loopback: nothing can be started or reached.
    command = ["unshare", "--map-root-user", "--net", "make", "test-fast", "PYTEST_ARGS=-q -p no:cacheprovider"]
    env = tool_env(DATABASE_URL=None, REDIS_URL=None, AWS_S3_ENDPOINT_URL=None, AWS_STORAGE_BUCKET_NAME=None)
    result = subprocess.run(command, cwd=project.path, env=env, capture_output=True, text=True, timeout=300)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in summary and "failed" not in summary, summary
    print(f"make test-fast ({project.variant}): {summary}")


def test_it_installs_celery_only_when_it_has_a_worker(project):
    probe = "import importlib.util as u; print(sorted(n for n in ('billiard', 'celery', 'kombu') if u.find_spec(n)))"
    installed = run([".venv/bin/python", "-c", probe], project.path).stdout.strip()
    worker = project.answers.get("worker") == "celery"
    assert installed == ("['billiard', 'celery', 'kombu']" if worker else "[]")


def test_its_own_linters_pass(project):
    run(["make", "lint"], project.path)


def test_its_migrations_match_its_models(project):
    env = {"PATH": os.environ["PATH"], "DJANGO_ENV": "development"}
    run([".venv/bin/python", "manage.py", "makemigrations", "--check", "--dry-run"], project.path, env=env)


def test_it_builds_static_files_with_an_empty_environment(project):
    result = run(["make", "build"], project.path)
    assert "env -i" in result.stdout
    assert (project.path / "staticfiles" / "staticfiles.json").exists()


def test_it_passes_the_deployment_checks_in_production(project):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://app@db.internal:5432/app",
        "REDIS_URL": "rediss://cache.internal:6380/0",
        "AWS_STORAGE_BUCKET_NAME": "media",
        "EMAIL_URL": "submission://app:password@mail.internal:587",
    }
    command = [".venv/bin/python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    assert "no issues (0 silenced)" in run(command, project.path, env=env).stdout


def test_its_tests_fail_with_a_clear_message_when_a_service_cannot_be_started(project):
    # No REDIS_URL, and no redis-server on the PATH: the run stops, saying what to install.
    env = tool_env(PATH="/nonexistent", REDIS_URL=None, DATABASE_URL=own_database("unused"))
    command = [".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/guarantees/test_logging.py"]
    result = subprocess.run(command, cwd=project.path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "redis-server is not installed" in result.stdout + result.stderr
    assert "apt-get install redis-server" in result.stdout + result.stderr
    assert " passed" not in result.stdout


def test_its_dependency_audit_says_plainly_when_no_vulnerability_database_is_reachable(project):
    command = ["unshare", "--map-root-user", "--net", "make", "audit"]
    result = subprocess.run(command, cwd=project.path, env=tool_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "no vulnerability database is reachable" in result.stderr
    assert "NOT audited" in result.stderr


def test_its_lock_holds_exactly_what_its_pyproject_asks_for(project):
    run(["uv", "lock", "--check"], project.path)  # `make install` installed from it (uv sync --locked)


def test_a_lock_out_of_date_with_pyproject_stops_the_install(tmp_path):
    path = bake(tmp_path)
    pyproject = path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('    "environs>=', '    "humanize>=4",\n    "environs>=', 1))
    result = subprocess.run(["make", "install"], cwd=path, env=tool_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr, result.stderr
    assert not (path / ".venv" / "lib").exists() or "humanize" not in run(["uv", "pip", "list"], path).stdout


def test_a_machine_with_python_alone_gets_uv_from_pypi_and_installs(tmp_path):
    path = bake(tmp_path)
    # The system's own PATH: python3, make and coreutils, none of this environment's tools.
    assert shutil.which("uv", path=os.defpath) is None, f"uv is installed in {os.defpath}: nothing to prove"
    env = {name: value for name, value in tool_env(PATH=os.defpath).items() if not name.startswith("UV_")}
    result = subprocess.run(["make", "install"], cwd=path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (path / ".venv" / "bin" / "uv").exists(), "uv is not kept in the environment"
    run([".venv/bin/python", "-c", "import django"], path)
