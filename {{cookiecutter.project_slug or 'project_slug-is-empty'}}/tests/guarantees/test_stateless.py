"""Any two processes of the project are interchangeable.

Two web processes, started as the Procfile says (gunicorn, two workers each, production mode), share
the real PostgreSQL, Redis and S3 server and nothing else. A round-robin balancer sends each
visitor's requests to one process, then the other. Every proof also runs against the same project
with state kept in the process and on its disk (tests/harness/stateful_settings.py), where it must fail:
that is the negative control, which shows that each proof can fail.

Run alone: ``.venv/bin/python -m pytest tests/guarantees/test_stateless.py``.
"""

import runpy
import secrets
import shutil
import socket
import threading
import time
from importlib import import_module
from typing import cast

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage

from stateless.storage import MediaStorage
from tests.harness.processes import (
    PROJECT_DIR,
    Balancer,
    Failed,
    Load,
    Visitor,
    WebProcess,
    count_problems,
    restarted,
    serve,
)

STATEFUL_SETTINGS = "tests.harness.stateful_settings"
THROTTLE_IN_MEMORY_SETTINGS = "tests.harness.throttle_in_memory_settings"
FAILURE_LIMIT = 10  # failed logins per account, and per client address, in 15 minutes
VISITORS = 10
VISITS = 20  # per visitor: 200 requests in all
GRACEFUL_TIMEOUT = runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))["graceful_timeout"]


class NotStateless(AssertionError):
    """A process kept something that the other process needed."""


def require(condition, message):
    if not condition:
        raise NotStateless(message)


@pytest.fixture(scope="module")
def stateless(process_env, static_build, tmp_path_factory):
    yield from serve(process_env, tmp_path_factory.mktemp("stateless"), "A", "B")


@pytest.fixture(scope="module")
def stateful(process_env, static_build, tmp_path_factory):
    yield from serve(process_env, tmp_path_factory.mktemp("stateful"), "A", "B", settings_module=STATEFUL_SETTINGS)
    shutil.rmtree(PROJECT_DIR / "media", ignore_errors=True)


@pytest.fixture(scope="module")
def throttle_in_memory(process_env, static_build, tmp_path_factory):
    logs = tmp_path_factory.mktemp("throttle-in-memory")
    yield from serve(process_env, logs, "A", "B", settings_module=THROTTLE_IN_MEMORY_SETTINGS)


@pytest.fixture
def pair(stateless, transactional_db):
    return restarted(stateless)


@pytest.fixture
def stateful_pair(stateful, transactional_db):
    return restarted(stateful)


def project_tree():
    """Every file of the project but the virtualenv and caches, with its size and modification time."""
    skipped = {".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {
        path: (path.stat().st_size, path.stat().st_mtime_ns)
        for path in PROJECT_DIR.rglob("*")
        if path.is_file() and not skipped.intersection(path.relative_to(PROJECT_DIR).parts)
    }


def in_session_store(session_key):
    """What the shared session store (Redis) holds for this key, read by this test process."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return store.load() if store.exists(session_key) else None


# --- The proofs: each takes a balancer over processes A and B ---------------------------------


def prove_a_login_holds_on_every_process(balancer):
    a, b = balancer.processes
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(f"user-{secrets.token_hex(4)}", password=password)
    visitor = Visitor(balancer)
    visitor.log_in(user.username, password, to=a)
    require(visitor.get("/probe/whoami", to=b).json()["user"] == user.username, "A's login is unknown to B")
    session_key = visitor.cookies["sessionid"]
    require(in_session_store(session_key) is not None, "the session is not in the shared store")

    copied_before_logout = dict(visitor.cookies)
    assert visitor.post_form("/accounts/logout/", {}, to=b).status == 302
    require(in_session_store(session_key) is None, "logging out through B left the session in the store")
    replay = Visitor(balancer)
    replay.cookies = copied_before_logout
    require(replay.get("/probe/whoami", to=a).json()["user"] is None, "logging out through B left A logged in")


def new_account():
    password = secrets.token_urlsafe(16)
    return get_user_model().objects.create_user(f"user-{secrets.token_hex(4)}", password=password).username, password


def last_of_failures_through_both(balancer, guess):
    """FAILURE_LIMIT failed logins, half through A and half through B: the answer to the last one."""
    a, b = balancer.processes
    answers = [guess(process).status for process in [a] * (FAILURE_LIMIT // 2) + [b] * (FAILURE_LIMIT // 2)]
    assert answers[:-1] == [200] * (FAILURE_LIMIT - 1), answers
    return answers[-1]


def prove_failed_logins_for_one_account_add_up_across_processes(balancer):
    username, password = new_account()
    # each guess from an address of its own
    last = last_of_failures_through_both(
        balancer, lambda to: Visitor(balancer).try_to_log_in(username, "wrong", to=to)
    )
    require(
        last == 429, f"failed login {FAILURE_LIMIT}, half through A and half through B, got {last}: each counts alone"
    )
    for process in balancer.processes:
        status = Visitor(balancer).try_to_log_in(username, password, to=process).status
        require(
            status == 429, f"after {FAILURE_LIMIT} failed logins {process} answered the right password with {status}"
        )


def prove_failed_logins_from_one_address_add_up_across_processes(balancer):
    username, password = new_account()
    guesser = Visitor(balancer)
    # each guess at an account of its own
    last = last_of_failures_through_both(
        balancer, lambda to: guesser.try_to_log_in(f"nobody-{secrets.token_hex(4)}", "a guess", to=to)
    )
    require(
        last == 429, f"failed login {FAILURE_LIMIT} from one address, half through A and half through B, got {last}"
    )
    for process in balancer.processes:
        status = guesser.try_to_log_in(username, password, to=process).status
        require(
            status == 429, f"after {FAILURE_LIMIT} failed logins from one address {process} let it log in ({status})"
        )
    assert Visitor(balancer).log_in(username, password, to=balancer.processes[0]), (
        "another address was refused as well"
    )


def prove_session_writes_alternate_without_loss(balancer):
    load = Load(balancer, VISITORS, visits=VISITS).run()
    for visitor, visits in load.visits.items():
        last, problems = count_problems(visits)
        require(not problems and last == VISITS, f"session writes were lost or duplicated: {problems}, {last}")
        require({visit.response.process for visit in visits} == set(balancer.processes), "a visitor stuck")
        require(len({visit.response.json()["pid"] for visit in visits}) >= 2, "a visitor stuck to a worker")
        stored = in_session_store(visitor.cookies["sessionid"]) or {}
        require(stored.get("count") == VISITS, f"the shared store holds {stored}, not count={VISITS}")
    workers = {visit.response.json()["pid"] for visit in load.all()}
    require(len(workers) == 2 * len(balancer.processes), f"only workers {workers} served")
    return len(load.all())


def prove_an_upload_is_read_through_the_other_process(balancer):
    a, b = balancer.processes
    before = project_tree()
    content = secrets.token_bytes(256 * 1024)
    visitor = Visitor(balancer)
    headers = {"Content-Type": "application/octet-stream"}
    name = visitor.request("POST", "/probe/upload/upload.bin", content, headers, to=a).json()["name"]
    download = visitor.get(f"/probe/download/{name}", to=b)
    require(download.status == 200 and download.body == content, "B cannot read what A stored")
    require(project_tree() == before, "serving wrote to the project's directory")
    objects = {item.key: item for item in cast(MediaStorage, default_storage).bucket.objects.filter(Prefix=name)}
    require(name in objects and objects[name].get()["Body"].read() == content, "the file is not in the bucket")


def prove_a_cached_value_is_read_through_the_other_process(balancer):
    a, b = balancer.processes
    key, value = f"probe-{secrets.token_hex(4)}", secrets.token_hex(8)
    visitor = Visitor(balancer)
    assert visitor.request("PUT", f"/probe/cache/{key}", value, to=a).json()["value"] == value
    require(visitor.get(f"/probe/cache/{key}", to=b).json()["value"] == value, "B does not see A's cache")


def prove_a_killed_process_loses_no_session(balancer):
    a, b = balancer.processes
    with Load(balancer, VISITORS) as load:
        load.wait_until_each_has(5)
        in_flight = balancer.kill(a)
        pids_before = load.pids(a)
        load.wait_until_each_has(5, served_by=b)
        a.start()
        balancer.restored(a)
        load.wait_until_each_has(3, served_by=a, exclude_pids=pids_before)
    failed = [process for process, _ in balancer.failures]
    require(len(failed) <= in_flight, f"{len(failed)} requests failed, {in_flight} were in flight on A")
    require(set(failed) <= {a}, f"requests to B failed: {balancer.failures}")
    errors = [visit.response.status for visit in load.failures() if visit.response]
    require(not errors, f"answers with errors: {errors}")
    for visits in load.visits.values():
        _, problems = count_problems(visits)
        require(not problems, f"sessions lost writes: {problems}")
    return {"requests": len(load.all()), "failed": len(failed), "in_flight": in_flight}


def refuses_connections_soon(process, within=2.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", process.port), timeout=1):
                time.sleep(0.02)
        except ConnectionRefusedError:
            return True
    return False


def prove_sigterm_drains_a_process(balancer):
    a, b = balancer.processes
    slow = {}

    def slow_request():
        try:
            slow["answer"] = Visitor(balancer).get("/probe/slow/3", to=a)
        except Failed as failure:
            slow["failure"] = failure

    thread = threading.Thread(target=slow_request)
    thread.start()
    while not balancer.in_flight[a]:
        time.sleep(0.01)
    time.sleep(0.5)  # the request has reached a worker
    a.terminate()
    terminated = time.monotonic()
    require(refuses_connections_soon(a), "the stopping process still accepts connections")
    require(thread.is_alive(), "the slow request ended before the test could send new requests")
    visitor = Visitor(balancer)
    try:
        answers = [visitor.get("/probe/count") for _ in range(10)]
    except Failed as failure:
        raise NotStateless(f"a new request was lost while A was stopping: {failure}") from failure
    require(all(answer.process is b for answer in answers), "new requests went to the stopping process")
    thread.join()
    require(slow.get("answer") and slow["answer"].status == 200, f"the request in flight was lost: {slow}")
    require(a.process.wait(timeout=GRACEFUL_TIMEOUT + 5) == 0, "A did not exit cleanly")
    require(time.monotonic() - terminated < GRACEFUL_TIMEOUT, "A outlived its graceful timeout")


# --- The tests ---------------------------------------------------------------------------------


def test_a_login_through_one_process_holds_on_the_other_and_a_logout_anywhere_ends_it(pair):
    prove_a_login_holds_on_every_process(pair)


def test_failed_logins_for_one_account_through_either_process_add_up(pair):
    prove_failed_logins_for_one_account_add_up_across_processes(pair)


def test_failed_logins_from_one_address_through_either_process_add_up(pair):
    prove_failed_logins_from_one_address_add_up_across_processes(pair)


def test_session_writes_alternating_between_processes_are_never_lost_or_duplicated(pair):
    assert prove_session_writes_alternate_without_loss(pair) == VISITORS * VISITS


def test_a_file_uploaded_through_one_process_is_downloaded_through_the_other(pair):
    prove_an_upload_is_read_through_the_other_process(pair)


def upload_at_the_same_moment(balancer, contents):
    """Each process gets its content, uploaded under one new name, at the same moment; the stored names."""
    start, names, name = threading.Barrier(len(contents)), {}, f"same-{secrets.token_hex(4)}.bin"

    def upload(process):
        start.wait()
        headers = {"Content-Type": "application/octet-stream"}
        answer = Visitor(balancer).request("POST", f"/probe/upload/{name}", contents[process], headers, to=process)
        names[process] = answer.json()["name"]

    threads = [threading.Thread(target=upload, args=(process,)) for process in contents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return names


def test_uploads_of_one_name_at_the_same_moment_through_two_processes_are_both_kept(pair):
    for _ in range(20):  # a check-then-write race is lost often, not always
        contents = {process: secrets.token_bytes(64 * 1024) for process in pair.processes}
        names = upload_at_the_same_moment(pair, contents)
        assert len(set(names.values())) == 2, "two uploads were given one object"
        for process, name in names.items():
            with default_storage.open(name) as stored:
                assert stored.read() == contents[process], "an upload was overwritten"


def test_a_value_cached_through_one_process_is_read_through_the_other(pair):
    prove_a_cached_value_is_read_through_the_other_process(pair)


def test_kill_9_of_one_process_mid_load_loses_no_session(pair):
    counts = prove_a_killed_process_loses_no_session(pair)
    print(f"kill -9 under load: {counts}")


def test_sigterm_lets_the_request_in_flight_finish_and_sends_new_ones_elsewhere(pair):
    prove_sigterm_drains_a_process(pair)


@pytest.mark.parametrize(
    "proof",
    [
        prove_a_login_holds_on_every_process,
        prove_failed_logins_for_one_account_add_up_across_processes,
        prove_failed_logins_from_one_address_add_up_across_processes,
        prove_session_writes_alternate_without_loss,
        prove_an_upload_is_read_through_the_other_process,
        prove_a_cached_value_is_read_through_the_other_process,
        prove_a_killed_process_loses_no_session,
    ],
    ids=lambda proof: proof.__name__.removeprefix("prove_"),
)
def test_negative_control_each_proof_catches_state_kept_in_the_process(stateful_pair, proof):
    with pytest.raises(NotStateless):
        proof(stateful_pair)


@pytest.mark.parametrize(
    "proof",
    [
        prove_failed_logins_for_one_account_add_up_across_processes,
        prove_failed_logins_from_one_address_add_up_across_processes,
    ],
    ids=lambda proof: proof.__name__.removeprefix("prove_"),
)
def test_negative_control_the_throttle_proofs_catch_a_throttle_that_counts_in_the_process(
    throttle_in_memory, transactional_db, proof
):
    with pytest.raises(NotStateless):
        proof(restarted(throttle_in_memory))


def test_negative_control_sigterm_proof_catches_a_request_cut_short(pair, process_env, tmp_path):
    impatient = WebProcess(process_env, tmp_path, "A-impatient", "--graceful-timeout", "1").start()
    try:
        with pytest.raises(NotStateless, match="the request in flight was lost"):
            prove_sigterm_drains_a_process(Balancer(impatient, pair.processes[1]))
    finally:
        impatient.stop()
