"""Errors and slow requests go to Sentry when SENTRY_DSN is set, and nothing of Sentry runs when it is
not. The Sentry here is a real HTTP server on loopback that accepts sentry-sdk's envelopes
(tests/harness/services.py), and the project runs as the Procfile's web process."""

import secrets
import time
import tomllib
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from tests.harness.processes import PROJECT_DIR, Balancer, Visitor, WebProcess, run_project
from tests.harness.services import Proxy, SentryReceiver

LOADED_SENTRY_MODULES = """
import sys, django
django.setup()
from config import wsgi
print(sorted(name for name in sys.modules if name.startswith("sentry")))
"""


@pytest.fixture(scope="module")
def sentry():
    receiver = SentryReceiver().start()
    yield receiver
    receiver.stop()


def tracked_env(process_env, sentry, **more):
    return {**process_env, "SENTRY_DSN": sentry.dsn(), "SENTRY_ENVIRONMENT": "proof", **more}


def test_without_a_dsn_nothing_of_sentry_is_imported(process_env, sentry):
    untracked = {name: value for name, value in process_env.items() if not name.startswith("SENTRY_")}
    without = run_project("-c", LOADED_SENTRY_MODULES, env=untracked)
    assert without.returncode == 0, without.stderr
    assert without.stdout.strip() == "[]"
    tracked = run_project("-c", LOADED_SENTRY_MODULES, env=tracked_env(untracked, sentry))
    assert "sentry_sdk" in tracked.stdout, tracked.stderr  # the control: the same code does load it


@pytest.fixture(scope="module")
def tracked_web(process_env, sentry, static_build, tmp_path_factory):
    env = tracked_env(process_env, sentry, SENTRY_TRACES_SAMPLE_RATE="1")
    web = WebProcess(env, tmp_path_factory.mktemp("tracked")).start()
    yield web
    web.stop()


def test_an_error_in_a_view_arrives_with_its_request_id_release_and_environment(tracked_web, sentry):
    request_id = f"error-{secrets.token_hex(8)}"
    headers = {"X-Request-ID": request_id, "Cookie": "sessionid=private"}
    answer = Visitor(Balancer(tracked_web)).request("GET", "/probe/fail", headers=headers)
    assert answer.status == 500
    [event] = sentry.wait_for("event", lambda event: event.get("tags", {}).get("request_id") == request_id)
    assert event["exception"]["values"][-1]["value"] == "a probe view failed"
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    assert event["release"] == f"{project['name']}@{project['version']}"
    assert event["environment"] == "proof"
    assert "ip_address" not in event.get("user", {})
    assert "private" not in str(event.get("request", {}))  # the session cookie stays here
    print(f"received: {event['exception']['values'][-1]['type']} with request_id {request_id}")


def test_a_slow_request_arrives_as_a_trace_with_its_request_id(tracked_web, sentry):
    request_id = f"slow-{secrets.token_hex(8)}"
    answer = Visitor(Balancer(tracked_web)).request("GET", "/probe/slow/1", headers={"X-Request-ID": request_id})
    assert answer.status == 200
    [trace] = sentry.wait_for("transaction", lambda trace: trace.get("tags", {}).get("request_id") == request_id)
    took = datetime.fromisoformat(trace["timestamp"]) - datetime.fromisoformat(trace["start_timestamp"])
    assert took.total_seconds() >= 1
    assert trace["transaction"] == "/probe/slow/{seconds}"  # one name for every request to the view


def test_an_outage_is_reported_once_not_once_per_request(process_env, sentry, static_build, tmp_path_factory):
    """One worker (the rule is per worker process: stateless/error_tracking.py says why) that reaches
    the database through a proxy, which is cut: 30 requests that need the database each get a 503."""
    database = urlsplit(process_env["DATABASE_URL"])
    proxy = Proxy(database.hostname, database.port or 5432)
    through_proxy = database._replace(netloc=database.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}")
    run_id = f"outage-{secrets.token_hex(4)}"
    env = tracked_env(process_env, sentry, DATABASE_URL=through_proxy.geturl(), SENTRY_ENVIRONMENT=run_id)
    web = WebProcess(env, tmp_path_factory.mktemp("outage"), "web", "--workers", "1").start()
    try:
        proxy.cut()
        visitor = Visitor(Balancer(web))
        answers = [visitor.get("/probe/database").status for _ in range(30)]
        assert answers == [503] * 30
        sentry.wait_for("event", lambda event: event["environment"] == run_id)
        time.sleep(3)  # long enough for any further report to arrive
        reported = [event for event in sentry.of_type("event") if event["environment"] == run_id]
        assert len(reported) == 1, [event.get("tags") for event in reported]
        assert reported[0]["fingerprint"] == ["backing-service-outage", "database"]
        print(f"30 requests answered 503, {len(reported)} report: {reported[0]['tags']}")
    finally:
        web.stop()
