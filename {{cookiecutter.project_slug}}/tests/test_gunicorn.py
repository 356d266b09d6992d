"""The Procfile's web process: gunicorn in production mode, JSON access logs with request ids,
probes over plain HTTP, and a clean exit on SIGTERM."""

import json
import subprocess

import pytest

from tests.conftest import PROJECT_DIR
from tests.processes import WebProcess, procfile_command


@pytest.fixture
def web(production_env, static_build, tmp_path):
    web = WebProcess(production_env, tmp_path).start(ready="/healthz")
    yield web
    web.stop()


def test_probes_answer_plain_http_with_any_host(web):
    for path in ("/healthz", "/readyz"):
        response = web.get(path, {"Host": "10.1.2.3"})
        assert response.status == 200, response.body


def test_requests_are_logged_as_json_lines_with_their_request_id(web):
    response = web.get("/", {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Request-ID": "trace-7"})
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "trace-7"
    web.stop()
    lines = [json.loads(line) for line in web.log.read_text().splitlines() if line.startswith("{")]
    assert lines, web.log.read_text()
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == "trace-7"]
    assert len(access) == 1, lines
    assert access[0]["status"] == "200"
    assert access[0]["path"] == "/"


def test_sigterm_stops_the_server_cleanly(web):
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
