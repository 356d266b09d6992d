"""/healthz answers while the process lives; /readyz says whether this process can serve.

Both answer plain HTTP with any Host header, as probes from an orchestrator do. Readiness names the
checks that fail and nothing else: the details are in the log. It needs the database (migrated) and
the static build; Redis or the bucket down only degrades the site, which every process shares, so it
leaves every process ready. It is bounded in time and in the work it causes.
"""

import json
import socket

import pytest
from django.core.management import call_command

from tests.harness.processes import run_project
from tests.harness.services import free_port

PROBE = {"Host": "10.0.0.7:8000"}  # what a kubelet sends: no allowed host, no TLS
READINESS_IN_A_FRESH_PROCESS = """
import django, json, os, sys, time
django.setup()
from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from stateless import health

made, connect = [], DatabaseWrapper.get_new_connection
DatabaseWrapper.get_new_connection = lambda self, params: made.append(1) or connect(self, params)
checked, check_everything = [], health.check_everything
health.check_everything = lambda: checked.append(1) or check_everything()
options = json.loads(sys.argv[1])
if "static_root" in options:
    settings.STATIC_ROOT = options["static_root"]
health.RESULT_SECONDS = options.get("result_seconds", 0)
client = Client()
client.get("/readyz", headers={"Host": "probe"})  # the first call also makes the clients
answers = []
for _ in range(options.get("calls", 1)):
    started = time.monotonic()
    response = client.get("/readyz", headers={"Host": "probe", "X-Request-ID": "readiness-1"})
    answers.append({"status": response.status_code, "body": response.json(), "seconds": time.monotonic() - started})
print(json.dumps({"answers": answers, "connections_made": len(made), "checked": len(checked)}), flush=True)
os._exit(0)  # not waiting for a check that still hangs
"""


def readiness(env, **options):
    """What /readyz answered in a process of its own: the last answer, the whole run, the log."""
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = run_project("-c", READINESS_IN_A_FRESH_PROCESS, json.dumps(options), env=env)
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout.splitlines()[-1])
    return run["answers"][-1], run, result.stdout


def silent_server():
    """A port that accepts connections and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(50)
    return silent


def test_probes_answer_plain_http_with_any_host(web):
    for path in ("/healthz", "/readyz"):
        response = web.get(path, PROBE)
        assert response.status == 200, response.body
    assert web.get("/readyz", PROBE).json() == {"status": "ready", "failed": [], "degraded": []}


def test_a_database_that_is_down_makes_the_process_unready_and_the_answer_names_no_detail(production_env):
    down = f"postgres://someone:secret@127.0.0.1:{free_port()}/private_name"
    answer, _, log = readiness({**production_env, "DATABASE_URL": down})
    assert answer["status"] == 503
    assert answer["body"] == {"status": "unavailable", "failed": ["database", "migrations"], "degraded": []}
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    details = [
        line for line in lines if line.get("request_id") == "readiness-1" and "database failed" in line["message"]
    ]
    assert details, log
    assert "127.0.0.1" in details[0]["message"]


@pytest.mark.parametrize(
    ("degraded", "variable", "value"),
    [
        ("redis", "REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("storage", "AWS_S3_ENDPOINT_URL", "http://127.0.0.1:{port}"),
    ],
)
def test_a_shared_service_that_is_down_leaves_the_process_ready_and_is_named(
    production_env, degraded, variable, value
):
    answer, _, _ = readiness({**production_env, variable: value.format(port=free_port())})
    assert answer["status"] == 200
    assert answer["body"] == {"status": "ready", "failed": [], "degraded": [degraded]}


def test_readiness_names_unapplied_migrations(production_env):
    call_command("migrate", "sessions", "zero", fake=True, verbosity=0)
    try:
        answer, _, _ = readiness(production_env)
    finally:
        call_command("migrate", "sessions", fake=True, verbosity=0)
    assert answer["status"] == 503
    assert answer["body"]["failed"] == ["migrations"]


def test_readiness_names_a_missing_static_manifest(production_env, tmp_path):
    answer, _, _ = readiness(production_env, static_root=str(tmp_path))
    assert answer["status"] == 503
    assert answer["body"]["failed"] == ["static"]


def test_a_hung_service_costs_readiness_about_a_second(production_env):
    with silent_server() as silent:
        hung = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        answer, _, _ = readiness({**production_env, "REDIS_URL": hung, "REDIS_TIMEOUT": "10"})
    assert answer["body"]["degraded"] == ["redis"]
    assert answer["seconds"] < 3  # bounded by readiness's 1 s, not by REDIS_TIMEOUT's 10 s


def test_a_hung_service_is_not_asked_again_while_it_hangs_and_starves_no_other_check(production_env):
    with silent_server() as silent:
        hung = f"http://127.0.0.1:{silent.getsockname()[1]}"
        _, run, _ = readiness({**production_env, "AWS_S3_ENDPOINT_URL": hung}, calls=6)
        silent.setblocking(False)
        asked = 0
        while True:
            try:
                silent.accept()[0].close()
                asked += 1
            except BlockingIOError:
                break
    assert asked == 1, f"the hung bucket was asked {asked} times"
    assert all(
        answer["body"] == {"status": "ready", "failed": [], "degraded": ["storage"]} for answer in run["answers"]
    )


def test_checks_reuse_their_connections(production_env):
    _, run, _ = readiness(production_env, calls=10)
    assert all(answer["status"] == 200 for answer in run["answers"])
    assert run["connections_made"] <= 5, "a new database connection for every check"


def test_a_result_is_reused_for_a_moment(production_env):
    _, run, _ = readiness(production_env, calls=10, result_seconds=60)
    assert run["checked"] == 1  # the first call's checks, and no more
