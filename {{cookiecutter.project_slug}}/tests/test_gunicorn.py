"""The Procfile's web process: gunicorn in production mode, JSON access logs with request ids,
probes over plain HTTP, and a clean exit on SIGTERM."""

import json
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import PROJECT_DIR
from tests.services import free_port


def procfile_command(process_type):
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return shlex.split(command)
    raise AssertionError(f"no {process_type} process in the Procfile")


def get(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def web(production_env, static_build, tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    env = {**production_env, "PORT": str(port), "WEB_CONCURRENCY": "2", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as output:
        process = subprocess.Popen(procfile_command("web"), cwd=PROJECT_DIR, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if get(f"{base}/healthz", {})[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"gunicorn did not answer:\n{log.read_text()}")
    yield process, base, log
    if process.poll() is None:
        process.kill()
        process.wait()


def test_probes_answer_plain_http_with_any_host(web):
    _, base, _ = web
    for path in ("/healthz", "/readyz"):
        status, _, body = get(f"{base}{path}", {"Host": "10.1.2.3"})
        assert status == 200, body


def test_requests_are_logged_as_json_lines_with_their_request_id(web):
    process, base, log = web
    status, headers, _ = get(
        f"{base}/", {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Request-ID": "trace-7"}
    )
    assert status == 200
    assert headers["X-Request-ID"] == "trace-7"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines, log.read_text()
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == "trace-7"]
    assert len(access) == 1, lines
    assert access[0]["status"] == "200"
    assert access[0]["path"] == "/"


def test_sigterm_stops_the_server_cleanly(web):
    process, _, _ = web
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


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
