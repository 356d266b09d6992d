"""/healthz answers while the process lives; /readyz names every backing service that fails.

Both answer plain HTTP with any Host header, as probes from an orchestrator do.
"""

import json
import socket

import pytest
from django.core.management import call_command
from django.test import Client

from tests.harness.processes import run_project
from tests.harness.services import free_port

PROBE = {"Host": "10.0.0.7:8000"}  # what a kubelet sends: no allowed host, no TLS
READINESS_IN_A_FRESH_PROCESS = """
import django, json, sys, time
django.setup()
from django.conf import settings
from django.test import Client
if sys.argv[1:]:
    settings.STATIC_ROOT = sys.argv[1]
Client().get("/readyz", headers={"Host": "probe"})  # the first call also makes the clients
started = time.monotonic()
response = Client().get("/readyz", headers={"Host": "probe"})
elapsed = time.monotonic() - started
print(json.dumps({"status": response.status_code, "body": response.json(), "seconds": elapsed}))
"""


def test_probes_answer_plain_http_with_any_host(web):
    for path in ("/healthz", "/readyz"):
        response = web.get(path, PROBE)
        assert response.status == 200, response.body


@pytest.mark.django_db
def test_readiness_is_200_when_every_service_answers(static_build):
    response = Client().get("/readyz", headers=PROBE)
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"] == dict.fromkeys(["database", "migrations", "static", "redis", "storage"], "ok")


def readiness(env, *args):
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = run_project("-c", READINESS_IN_A_FRESH_PROCESS, *args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("failing", "variable", "value"),
    [
        ("database", "DATABASE_URL", "postgres://postgres@127.0.0.1:{port}/nothing"),
        ("redis", "REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("storage", "AWS_S3_ENDPOINT_URL", "http://127.0.0.1:{port}"),
    ],
)
def test_readiness_is_503_and_names_the_service_that_is_down(production_env, static_build, failing, variable, value):
    result = readiness({**production_env, variable: value.format(port=free_port())})
    assert result["status"] == 503
    assert failing in result["body"]["failed"]
    assert result["body"]["checks"]["static"] == "ok"


def test_readiness_names_unapplied_migrations(production_env, static_build):
    call_command("migrate", "sessions", "zero", fake=True, verbosity=0)
    try:
        result = readiness(production_env)
    finally:
        call_command("migrate", "sessions", fake=True, verbosity=0)
    assert result["status"] == 503
    assert result["body"]["failed"] == ["migrations"]


def test_readiness_names_a_missing_static_manifest(production_env, tmp_path):
    result = readiness(production_env, str(tmp_path))
    assert result["status"] == 503
    assert result["body"]["failed"] == ["static"]


def test_a_hung_service_costs_readiness_about_a_second(production_env):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hung = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        result = readiness({**production_env, "REDIS_URL": hung, "REDIS_TIMEOUT": "10"})
    assert result["status"] == 503
    assert result["body"]["checks"]["redis"] == "timed out after 1.0 s"
    assert result["seconds"] < 2
