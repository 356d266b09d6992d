"""The Procfile's processes: web (gunicorn) exits cleanly on SIGTERM; release migrates an empty
database. The cross-process proofs are in test_stateless.py, the faults in test_faults.py."""

import subprocess

from tests.harness.processes import PROJECT_DIR, WebProcess, procfile_command


def test_sigterm_stops_the_web_process_cleanly(production_env, tmp_path):
    web = WebProcess(production_env, tmp_path).start(ready="/healthz")
    web.terminate()
    assert web.process.wait(timeout=30) == 0


def test_the_release_phase_migrates_an_empty_database(production_env):
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_release"
    server = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"]}
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
