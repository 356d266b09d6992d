"""Faults in the backing services under load: the processes keep serving and lose nothing.

These tests start their own PostgreSQL and Redis, which they restart, pause and stop (never the
shared ones), and reach S3 through a proxy that they can cut. Two web processes serve many visitors
through a round-robin balancer, as in production; pass criteria are counts of requests, errors and
sessions. Each test prints what it counted.

Run alone: ``.venv/bin/python -m pytest tests/guarantees/test_faults.py -s``.
"""

import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

from tests.harness.processes import (
    Balancer,
    Failed,
    Load,
    Visitor,
    WebProcess,
    count_problems,
    restarted,
    run_project,
    serve,
)
from tests.harness.services import Postgres, Proxy, Redis, ServiceError, Started

UNCHECKED_SETTINGS = "tests.harness.unchecked_database_settings"
VISITORS = 8
WORKERS = 4  # in two processes: as many visitors as workers, so that a new worker is not starved of connections


@dataclass
class Private:
    postgres: Postgres
    redis: Redis
    s3: Proxy
    env: dict[str, str]

    def all_up(self):
        for server in (self.postgres, self.redis):
            if server.started.poll() is not None:
                server.start()
            server.resume()
        self.s3.restore()


@contextmanager
def private_services(process_env):
    """A PostgreSQL and a Redis of their own, and a proxy in front of the S3 server."""
    workdir = Path(tempfile.mkdtemp(prefix="faults-"))  # not under pytest's root-only temp folder
    with Started() as started:
        started.callback(shutil.rmtree, workdir, ignore_errors=True)
        postgres = started.start(Postgres(workdir))
        redis = started.start(Redis(workdir, persistent=True))  # as compose.yaml and Kubernetes run it
        endpoint = urlsplit(process_env["AWS_S3_ENDPOINT_URL"])
        assert endpoint.scheme == "http", "the S3 proxy of these tests forwards plain HTTP only"
        s3 = Proxy(endpoint.hostname, endpoint.port or 80)
        started.callback(s3.cut)
        with psycopg.connect(postgres.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE faults")
        env = {
            **process_env,
            "DATABASE_URL": postgres.url("faults"),
            "REDIS_URL": redis.url(),
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}",
        }
        migrated = run_project("manage.py", "migrate", "--noinput", env=env)
        assert migrated.returncode == 0, migrated.stderr
        yield Private(postgres, redis, s3, env)


@pytest.fixture(scope="module")
def private(process_env, static_build):
    with private_services(process_env) as services:
        yield services


def test_services_started_before_a_failure_are_stopped(monkeypatch):
    """Redis cannot start (no redis-server): the PostgreSQL started before it does not outlive the failure."""
    started = []
    start = Postgres.start

    def start_and_remember(server):
        started.append(server)
        return start(server)

    monkeypatch.setattr(Postgres, "start", start_and_remember)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # this venv's programs: no redis-server
    with pytest.raises(ServiceError, match="redis-server is not installed"), private_services(dict(os.environ)):
        pass
    still_running = [server for server in started if server.process.poll() is None]
    for server in still_running:
        server.stop()  # this test leaks nothing, even when it fails
    assert started and not still_running, "PostgreSQL outlived the failure"


@pytest.fixture(scope="module")
def served(private, tmp_path_factory):
    yield from serve(private.env, tmp_path_factory.mktemp("faults"), "A", "B")


@pytest.fixture
def pair(private, served):
    private.all_up()
    return restarted(served)


def lost_sessions(load):
    """Visitors whose session counter did not rise by exactly one per answered request."""
    return [problems for visits in load.visits.values() if (problems := count_problems(visits)[1])]


def started_after(visits, moment):
    return [visit for visit in visits if visit.started > moment]


def report(name, load, **counts):
    print(f"\n{name}: {len(load.all())} requests, {len(load.failures())} errors", counts)


def logs(balancer):
    return "".join(process.log.read_text() for process in balancer.processes)


def test_a_redis_restart_under_load_loses_no_session(pair, private):
    with Load(pair, VISITORS) as load:
        load.wait_until_each_has(3)
        private.redis.stop()
        time.sleep(1)
        private.redis.start()
        back = time.monotonic()
        load.wait_until_each_has(5)
    lost = lost_sessions(load)
    report("Redis restart", load, sessions_lost=len(lost))
    assert not lost
    assert not started_after(load.failures(), back + 1), "errors more than a second after Redis was back"
{%- if cookiecutter.session_store == "redis+db" %}
    assert not load.failures(), "with the database behind Redis, no request may fail"
{%- endif %}


def test_a_hung_redis_costs_bounded_waits_and_then_nothing(pair, private):
    # A wait bounded by REDIS_TIMEOUT, not by the hang: a request may queue behind one or two others
    # that each wait one timeout, and a busy machine adds seconds. An unbounded one waits 8 s or more.
    hang, bound = 8, 3 * settings.REDIS_TIMEOUT + 3
    with Load(pair, VISITORS) as load:
        load.wait_until_each_has(3)
        private.redis.pause()
        time.sleep(hang)
        private.redis.resume()
        resumed = time.monotonic()
        load.wait_until_each_has(5)
    slowest = max(visit.finished - visit.started for visit in load.all())
    lost = lost_sessions(load)
    report(f"Redis hung {hang} s", load, sessions_lost=len(lost), slowest=round(slowest, 2))
    assert not lost
    assert slowest <= bound, f"a request waited {slowest:.1f} s, more than {bound} s"
    assert "WORKER TIMEOUT" not in logs(pair)
    assert not started_after(load.failures(), resumed + 1), "errors more than a second after Redis resumed"
{%- if cookiecutter.session_store == "redis+db" %}
    assert not load.failures(), "with the database behind Redis, no request may fail"
{%- endif %}


def restart_postgres_between_loads(balancer, private):
    before = Load(balancer, VISITORS, path="/probe/database", visits=5).run()
    assert not before.failures()
    private.postgres.stop()
    private.postgres.start()
    return Load(balancer, VISITORS, path="/probe/database", visits=5).run()


def test_a_postgres_restart_costs_no_request_once_it_is_back(pair, private):
    after = restart_postgres_between_loads(pair, private)
    report("PostgreSQL restart", after)
    assert not after.failures()


def test_negative_control_without_connection_health_checks_the_restart_fails_requests(private, tmp_path):
    unchecked = serve(private.env, tmp_path, "A-unchecked", "B-unchecked", settings_module=UNCHECKED_SETTINGS)
    balancer = next(unchecked)
    try:
        after = restart_postgres_between_loads(balancer, private)
    finally:
        unchecked.close()
    report("PostgreSQL restart, health checks off", after)
    assert {visit.response.status for visit in after.failures()} == {503}


def wait_until_fully_ready(web, timeout=10):
    deadline = time.monotonic() + timeout
    while (answer := web.get("/readyz")).json() != {"status": "ready", "failed": [], "degraded": []}:
        assert time.monotonic() < deadline, answer.body
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("service", "status", "named"),
    [("postgres", 503, {"failed": ["database", "migrations"]}), ("redis", 200, {"degraded": ["redis"]})],
)
def test_processes_boot_without_a_service_and_serve_once_it_is_up(private, tmp_path, service, status, named):
    server = getattr(private, service)
    server.stop()
    web = WebProcess(private.env, tmp_path, f"boot-without-{service}").start(ready="/healthz")
    try:
        readiness = web.get("/readyz")
        assert readiness.status == status  # a shared Redis down leaves every process ready: see health.py
        assert named.items() <= readiness.json().items()
        server.start()
        came_up = time.monotonic()
        wait_until_fully_ready(web)
        visitor = Visitor(Balancer(web))
        answers = [visitor.get(path) for path in ("/probe/database", "/probe/count", "/probe/count")]
        assert [answer.status for answer in answers] == [200, 200, 200]
        assert answers[-1].json()["count"] == 2
        print(f"\nboot without {service}: fully ready {time.monotonic() - came_up:.2f} s after it came up")
    finally:
        web.stop()


def test_an_s3_outage_gets_a_clear_503_and_recovery_when_it_returns(pair, private):
    visitor = Visitor(pair)
    private.s3.cut()
    failed = visitor.request("POST", "/probe/upload/outage.bin", b"x" * 1024, {"Content-Type": "text/plain"})
    assert failed.status == 503, failed.body
    assert b"Temporarily unavailable" in failed.body
    assert failed.headers["Retry-After"]
    private.s3.restore()
    stored = visitor.request("POST", "/probe/upload/back.bin", b"y" * 1024, {"Content-Type": "text/plain"})
    assert stored.status == 200
    assert visitor.get(f"/probe/download/{stored.json()['name']}").body == b"y" * 1024


def new_account(private):
    username, password = f"account-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    command = ["createsuperuser", "--noinput", "--username", username, "--email", "account@example.com"]
    created = run_project("manage.py", *command, env={**private.env, "DJANGO_SUPERUSER_PASSWORD": password})
    assert created.returncode == 0, created.stderr
    return username, password
{%- if cookiecutter.session_store == "redis+db" %}


def test_logins_go_on_through_a_redis_outage_and_failures_still_count_on_every_process(pair, private):
    # Sessions come from the database while Redis is down, and so do the login throttle's counts.
    a, b = pair.processes
    username, password = new_account(private)
    private.redis.stop()
    try:
        assert Visitor(pair).try_to_log_in(username, password, to=a).status == 302, "a login failed"
        failed = [Visitor(pair).try_to_log_in(username, "a wrong guess", to=process) for process in [a] * 5 + [b] * 5]
        refused = [Visitor(pair).try_to_log_in(username, password, to=process).status for process in (a, b)]
    finally:
        private.redis.start()
    assert [answer.status for answer in failed] == [200] * 9 + [429]
    assert refused == [429, 429], "10 failed logins during the outage did not lock the account out"
    assert "failed logins are counted in the database" in logs(pair)
{%- else %}


def test_no_login_attempt_goes_uncounted_while_redis_is_down(pair, private):
    # The login throttle counts in Redis, as the sessions live there: an attempt it cannot count is a 503.
    username, password = new_account(private)
    private.redis.stop()
    try:
        answers = [
            Visitor(pair).try_to_log_in(username, guess, to=process).status
            for process in pair.processes
            for guess in ("a wrong guess", password)
        ]
    finally:
        private.redis.start()
    assert answers == [503] * 4, "a login attempt was answered without being counted"
{%- endif %}
{%- if cookiecutter.include_example_app == "yes" %}


def documents_in_database(private):
    with psycopg.connect(private.postgres.url("faults")) as database:
        return [name for (name,) in database.execute("SELECT file FROM documents_document")]


def test_an_upload_during_an_s3_outage_leaves_no_row_without_its_object(pair, private):
    from django.core.files.storage import default_storage

    username, password = f"uploader-{time.monotonic_ns()}", "a-long-password-for-faults"
    command = ["createsuperuser", "--noinput", "--username", username, "--email", "uploader@example.com"]
    created = run_project("manage.py", *command, env={**private.env, "DJANGO_SUPERUSER_PASSWORD": password})
    assert created.returncode == 0, created.stderr
    visitor = Visitor(pair)
    visitor.log_in(username, password)
    visitor.get("/documents/")
    rows_before = documents_in_database(private)
    private.s3.cut()
    failed = visitor.post_file("/documents/", "file", "outage.txt", b"lost")
    assert failed.status == 503, failed.body
    assert documents_in_database(private) == rows_before
    private.s3.restore()
    assert visitor.post_file("/documents/", "file", "back.txt", b"kept").status == 302
    rows = documents_in_database(private)
    assert len(rows) == len(rows_before) + 1
    assert all(default_storage.exists(name) for name in rows), "a row points at a missing object"
{%- endif %}


def replaced_after(load, process, old_pids, since):
    """Seconds from ``since`` until a new worker of ``process`` answered."""
    load.wait_until_each_has(1, served_by=process, exclude_pids=old_pids)
    new = [visit for visit in load.all() if visit.ok and visit.response.process is process]
    return min(visit.finished for visit in new if visit.response.json()["pid"] not in old_pids) - since


def test_a_worker_killed_with_kill_9_is_replaced_and_the_load_goes_on(pair):
    a, _ = pair.processes
    with Load(pair, WORKERS) as load:
        load.wait_until_each_has(3)
        workers = load.pids(a)
        os.kill(min(workers), signal.SIGKILL)
        replaced = replaced_after(load, a, workers, since=time.monotonic())
        load.wait_until_each_has(3)
    report("worker kill -9", load, replaced_after=round(replaced, 2))
    assert len(load.failures()) <= 1, "more requests failed than the killed worker had in flight"
    assert all(visit.response is None for visit in load.failures())
    assert replaced < 10  # a replacement serves; how soon is measured, not asserted (printed above)


def test_a_worker_past_its_timeout_is_replaced_and_the_load_goes_on(pair, private, tmp_path):
    impatient = WebProcess(private.env, tmp_path, "A-timeout-2s", "--timeout", "2").start()
    balancer = Balancer(impatient, pair.processes[1])
    try:
        with Load(balancer, WORKERS) as load:
            load.wait_until_each_has(3)
            workers = load.pids(impatient)
            try:
                cut_short = Visitor(balancer).get("/probe/slow/10", to=impatient).status
            except Failed:
                cut_short = None
            assert cut_short in (None, 500), "the slow request was not cut short at the timeout"
            replaced = replaced_after(load, impatient, workers, since=time.monotonic())
            load.wait_until_each_has(3)
    finally:
        impatient.stop()
    report("worker timeout", load, replaced_after=round(replaced, 2), slow_request=cut_short)
    assert "WORKER TIMEOUT" in impatient.log.read_text()
    assert not load.failures(), "the rest of the load was affected"
    assert replaced < 10  # a replacement serves; how soon is measured, not asserted (printed above)


def test_workers_recycled_under_load_fail_no_request(private, tmp_path):
    recycling_options = ("--max-requests", "20", "--max-requests-jitter", "5")
    recycling = serve(private.env, tmp_path, "A-recycling", "B-recycling", options=recycling_options)
    try:
        load = Load(next(recycling), VISITORS, visits=30).run()
    finally:
        recycling.close()
    workers = {visit.response.json()["pid"] for visit in load.all() if visit.ok}
    lost = lost_sessions(load)
    report("worker recycling", load, workers=len(workers), sessions_lost=len(lost))
    assert len(workers) > 4, "no worker was recycled"
    assert not load.failures()
    assert not lost
