"""The Procfile's processes: web (gunicorn) exits cleanly on SIGTERM and writes nothing to the home
directory; release migrates an empty database. The cross-process proofs are in test_stateless.py, the
faults in test_faults.py."""

import subprocess
from typing import Any

from tests.harness.processes import PROJECT_DIR, WebProcess, procfile_command


def test_sigterm_stops_the_web_process_cleanly(production_env, tmp_path):
    web = WebProcess(production_env, tmp_path).start(ready="/healthz")
    web.terminate()
    assert web.process.wait(timeout=30) == 0


def without_runtime_dir(env, home):
    """``env`` with HOME set and no XDG_RUNTIME_DIR: where gunicorn 25 and later put a control socket."""
    return {**{name: value for name, value in env.items() if name != "XDG_RUNTIME_DIR"}, "HOME": str(home)}


def test_a_start_with_an_unwritable_home_logs_no_error(production_env, tmp_path):
    # The image's user has no home and its root filesystem is read-only. A file where gunicorn would
    # make its folder, in a folder without write permission, makes the home unwritable for root too.
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gunicorn").write_text("")
    home.chmod(0o555)
    web = WebProcess(without_runtime_dir(production_env, home), tmp_path).start(ready="/healthz")
    try:
        assert web.get("/healthz").status == 200
    finally:
        web.stop()
    log = web.log.read_text()
    assert "ERROR" not in log, log
    assert "control" not in log.lower(), log


def test_the_web_process_writes_nothing_to_its_home(production_env, tmp_path):
    # A control socket under $HOME would be taken over by the next instance started on the same host.
    home = tmp_path / "home"
    home.mkdir()
    web = WebProcess(without_runtime_dir(production_env, home), tmp_path).start(ready="/healthz")
    web.stop()
    assert [str(path.relative_to(home)) for path in home.rglob("*")] == []


def test_the_release_phase_migrates_an_empty_database(production_env):
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_release"
    server: dict[str, Any] = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"]}
    server["password"] = database["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**production_env, "DATABASE_URL": production_env["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"}
        result = subprocess.run(procfile_command("release"), cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "Applying sessions.0001_initial... OK" in result.stdout
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
