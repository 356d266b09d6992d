"""The smoke check that CI runs against the containers (scripts/smoke.py) passes here against two of
the Procfile's web processes on the same services, and fails against two that keep sessions in
themselves: only the container wiring is left for CI to prove."""

import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from tests.harness.processes import PROJECT_DIR, WebProcess

SMOKE = PROJECT_DIR / "scripts" / "smoke.py"
STATEFUL_SETTINGS = "tests.harness.stateful_settings"


def smoke_check(env, logs, settings_module):
    """scripts/smoke.py's run against two fresh web processes, whose origins the settings trust."""
    processes = [WebProcess(env, logs, name, settings_module=settings_module) for name in ("A", "B")]
    addresses = [f"http://127.0.0.1:{process.port}" for process in processes]
    for process in processes:
        process.env["DJANGO_CSRF_TRUSTED_ORIGINS"] = ",".join(addresses)
    password = secrets.token_urlsafe(16)
    username = get_user_model().objects.create_user(f"smoke-{secrets.token_hex(4)}", password=password).username
    try:
        for process in processes:
            process.launch()
        for process in processes:
            process.wait_until_ready()
        smoke_env = {"PATH": os.environ["PATH"], "SMOKE_USERNAME": username, "SMOKE_PASSWORD": password}
        return subprocess.run(
            [sys.executable, SMOKE, *addresses], env=smoke_env, capture_output=True, text=True, timeout=120
        )
    finally:
        for process in processes:
            process.stop()


def test_the_smoke_check_passes_against_two_processes(production_env, static_build, tmp_path):
    result = smoke_check(production_env, tmp_path, "config.settings")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke check passed" in result.stdout


def test_the_smoke_check_fails_against_processes_that_keep_sessions_in_themselves(
    production_env, static_build, tmp_path
):
    result = smoke_check(production_env, tmp_path, STATEFUL_SETTINGS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the login did not hold" in result.stderr


@pytest.mark.parametrize("missing", ["addresses", "SMOKE_PASSWORD"])
def test_the_smoke_check_says_how_to_run_it_when_something_is_missing(missing):
    env = {"PATH": os.environ["PATH"], "SMOKE_USERNAME": "smoke", "SMOKE_PASSWORD": "x" * 20}
    env.pop(missing, None)
    addresses = [] if missing == "addresses" else ["http://127.0.0.1:9"]
    result = subprocess.run([sys.executable, SMOKE, *addresses], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "SMOKE_USERNAME=smoke SMOKE_PASSWORD=" in result.stderr
