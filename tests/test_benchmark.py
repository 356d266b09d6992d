"""The benchmark (bench/): its report, from records (medians, ratios, targets, and an exit status that only
correctness decides), and its load driver (bench/load_driver.py with wrk and bench/load.lua) against a
small server of this module's own on loopback, whose answers keep or break each client's counter.
The benchmark itself bakes and loads a project for minutes, so it is not run here: see the README's
Benchmark section. No test here asserts a timing."""

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path

import pytest

from tests.conftest import TEMPLATE

sys.path.insert(0, str(TEMPLATE / "bench"))  # where benchmark.py finds load_driver.py when run as a script
spec = importlib.util.spec_from_file_location("benchmark", TEMPLATE / "bench" / "benchmark.py")
benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark)
load_driver = benchmark.load_driver


def scenario(variant, name, rps, violations=0, errors=0, workers_mib=(50, 52), round_number=1, sample_ok=True):
    record = {
        "kind": "scenario",
        "variant": variant,
        "scenario": name,
        "round": round_number,
        "rps": rps,
        "p50_ms": 5.0,
        "p99_ms": 9.0,
        "cpu_us_per_request": 500.0,
        "error_answers": errors,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "rss_mib_per_worker": statistics.median(workers_mib),
        "sample_check": {"ok": sample_ok},
    }
    if name in ("write", "read"):
        record["session_check"] = {"clients": 17, "checked": 1000, "violations": violations, "resets": 0}
        record["session_check"]["unattributed"] = 0
    return record


def cold_starts(variant, *milliseconds, round_number=1):
    return [{"kind": "cold_start", "variant": variant, "round": round_number, "ms": ms} for ms in milliseconds]


def records(shipped_write=900, violations=0):
    return [
        scenario("shipped", "write", shipped_write, violations),
        scenario("shipped", "read", 950),
        scenario("shipped", "plain", 1900),
        scenario("shipped", "static", 2900),
        scenario("in-process", "write", 1000, violations=400),  # its workers do not share sessions
        scenario("in-process", "read", 1000, violations=500, sample_ok=False),
        scenario("in-process", "plain", 2000),
        scenario("db-sessions", "write", 300),
        scenario("db-sessions", "read", 400),
        scenario("bare", "plain", 2000, workers_mib=(40, 42)),
        scenario("bare-whitenoise", "static", 3000, workers_mib=(41, 43)),
        *cold_starts("shipped", 600, 700, 650),
        *cold_starts("bare", 500, 520, 510),
    ]


@pytest.fixture
def args(tmp_path):
    return argparse.Namespace(out=str(tmp_path / "results.json"))


def test_ratios_and_targets_come_from_the_medians(args, capsys):
    assert benchmark.report(records(), args, None) == 0
    results = json.loads(Path(args.out).read_text())
    targets = {result["target"].split(":")[0]: result for result in results["targets"]}
    assert targets["session-write rate"]["ratio"] == pytest.approx(0.9)
    assert targets["session-read rate"]["ratio"] == pytest.approx(0.95)
    assert targets["plain-view rate"]["ratio"] == pytest.approx(0.95)
    assert targets["static-file rate"]["ratio"] == pytest.approx(2900 / 3000)
    assert targets["cold start"]["ratio"] == pytest.approx(650 / 510)
    assert targets["memory per worker"]["ratio"] == pytest.approx(51 / 41)
    assert [result["met"] for result in targets.values()] == [True, True, True, True, False, False]
    assert targets["session-write rate"]["ratio_within_rounds"] == pytest.approx(0.9)
    assert targets["cold start"]["ratio_within_rounds"] == pytest.approx(650 / 510)
    assert results["correct"] is True
    table = capsys.readouterr().out
    assert "| shipped | write | 900 | 0.90 |" in table
    assert "| shipped | static | 2,900 | - | 0.97 |" in table  # against bare-whitenoise, not bare
    assert "lost (expected)" in table


def test_a_missed_target_never_fails_the_run(args):
    assert benchmark.report(records(shipped_write=100), args, None) == 0


def test_a_broken_session_counter_fails_the_run(args, capsys):
    assert benchmark.report(records(violations=1), args, None) == 1
    assert (
        "| shipped | write | 900 | 0.90 | - | 5.00 | 9.00 | 500 | 51.0 | 900 | 0 + 0 | BROKEN"
        in capsys.readouterr().out
    )
    assert json.loads(Path(args.out).read_text())["correct"] is False


@pytest.mark.parametrize(
    "broken",
    [
        scenario("shipped", "plain", 1900, errors=1),
        {**scenario("bare", "plain", 2000), "socket_errors": {"connect": 0, "read": 3, "write": 0, "timeout": 0}},
        scenario("bare-whitenoise", "static", 3000, sample_ok=False),  # not the file, say
        scenario("db-sessions", "read", 400, sample_ok=False),
    ],
    ids=["error-answer", "socket-error", "wrong-static-file", "session-sample"],
)
def test_an_error_or_a_wrong_answer_fails_the_run(args, broken):
    assert benchmark.report([*records(), broken], args, None) == 1


def test_ratios_within_rounds_are_not_moved_by_a_load_that_came_in_the_middle_of_a_round(args):
    # The machine got busy in round 2, after the in-process run and before the shipped one.
    busy = [
        scenario("in-process", "write", 1000, round_number=2),
        scenario("shipped", "write", 450, round_number=2),
        scenario("shipped", "write", 440, round_number=3),
        scenario("in-process", "write", 490, round_number=3),
    ]
    summary, per_variant = benchmark.summarize(records() + busy)
    write = benchmark.targets(summary, per_variant)[0]
    assert write["ratio"] == pytest.approx(450 / 1000)
    assert write["ratio_within_rounds"] == pytest.approx(440 / 490)


def test_what_is_missing_is_said_before_anything_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no wrk, no make
    closed = load_driver.free_port()
    status = benchmark.main(["--postgres-url", f"postgres://postgres@127.0.0.1:{closed}/postgres"])
    said = capsys.readouterr().err
    assert status == 2
    assert "wrk is not installed" in said and "apt-get install wrk" in said
    assert "make is not installed" in said
    assert f"nothing answers on 127.0.0.1:{closed} (--postgres-url" in said


# --- the load driver, against a server of this module's own --------------------------------------

# A master that forks two workers, as gunicorn does, on one listening socket. Its counter is stateless:
# it travels in the cookie `n`, so any worker can answer any client. MODE breaks it on purpose.
SERVER = """
import http.server, os, sys
from http.cookies import SimpleCookie

port, mode = int(sys.argv[1]), sys.argv[2]


class Counter(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        cookies = SimpleCookie(self.headers.get("Cookie", ""))
        count = int(cookies["n"].value) + 1 if "n" in cookies and mode != "forget" else 1
        if mode == "skip" and count == 3:
            count = 4
        body = str(count).encode()
        self.send_response(500 if mode == "error" and count == 3 else 200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", f"n={count}; Path=/; HttpOnly")
        if "X-Bench-Client" in self.headers and mode != "no-echo":
            self.send_header("X-Bench-Client", self.headers["X-Bench-Client"])
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Counter)
server.daemon_threads = True
for _ in range(2):
    if os.fork() == 0:
        server.serve_forever()
os.wait()
"""
CONNECTIONS = 4


@pytest.fixture
def wrk():
    """The load driver's tests run wrk: a machine without it fails them, saying what to install."""
    if load_driver.wrk_missing():
        pytest.fail(load_driver.WRK_MISSING)


def counter_server(tmp_path, mode):
    port = load_driver.free_port()
    command = [sys.executable, "-c", SERVER, str(port), mode]
    return load_driver.Server(command, port=port, cwd=tmp_path, env=None, log=tmp_path / "server.log", ready_path="/")


def load(server):
    """What the benchmark does with a session scenario: one client's requests in a row, then the load."""
    sample = load_driver.counter_sample(server.port, "/")
    measured = load_driver.measure(server, "/", mode="counter", duration=1, warmup=0, connections=CONNECTIONS)
    return {
        "kind": "scenario",
        "variant": "shipped",
        "scenario": "write",
        "round": 1,
        "sample_check": sample,
        **measured,
    }


@pytest.mark.usefixtures("wrk")
def test_the_load_driver_checks_every_clients_counter_and_measures_the_processes(tmp_path, args):
    with counter_server(tmp_path, "good") as server:
        assert server.start() > 0
        record = load(server)
    check = record["session_check"]
    assert record["sample_check"] == {"ok": True, "counters": [1, 2, 3, 4, 5], "most_cookies_in_an_answer": 1}
    assert check["checked"] == record["requests"] > 0
    assert check["violations"] == check["unattributed"] == 0
    # One client per connection, and one more that wrk asks for when it checks the script: a client that
    # shared its cookies with another, or a request that made a client, would break the counters or this.
    assert check["clients"] == CONNECTIONS + 1
    assert record["error_answers"] == 0 and sum(record["socket_errors"].values()) == 0
    assert record["answers"]["2xx"] == record["requests"]
    assert len(record["memory_kib"]["workers"]) == 2 and record["rss_mib_per_worker"] > 0
    assert record["cpu_us_per_request"] > 0
    assert benchmark.report([record], args, None) == 0


@pytest.mark.usefixtures("wrk")
@pytest.mark.parametrize(
    ("mode", "what"),
    [
        ("skip", "violations"),  # each client's third answer says 4
        ("forget", "resets"),  # the server ignores the cookie: every client starts over, as on a lost session
        ("no-echo", "unattributed"),  # no answer can be told to its client
    ],
)
def test_a_counter_that_does_not_rise_by_one_is_a_violation(tmp_path, args, mode, what):
    with counter_server(tmp_path, mode) as server:
        server.start()
        record = load(server)
    assert record["sample_check"]["ok"] is (mode == "no-echo")  # in a row, no answer needs attributing
    assert record["session_check"][what] > 0
    assert record["error_answers"] == 0
    assert benchmark.report([record], args, None) == 1


@pytest.mark.usefixtures("wrk")
def test_error_answers_are_counted(tmp_path, args):
    with counter_server(tmp_path, "error") as server:
        server.start()
        record = load(server)
    assert record["answers"]["5xx"] == record["error_answers"] > 0
    assert benchmark.report([record], args, None) == 1


def test_a_server_that_never_answers_200_fails_its_start(tmp_path):
    port = load_driver.free_port()
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(tmp_path), str(port)]
    server = load_driver.Server(command, port=port, cwd=tmp_path, env=None, log=tmp_path / "log", ready_path="/none")
    with pytest.raises(load_driver.ServerFailed, match="answered /none with 404, not 200"):
        server.start()
    assert server.process is None  # stopped


def test_a_server_that_exits_fails_its_start(tmp_path):
    port = load_driver.free_port()
    command = [sys.executable, "-c", "import sys; print('no such setting'); sys.exit(3)"]
    server = load_driver.Server(command, port=port, cwd=tmp_path, env=None, log=tmp_path / "log", ready_path="/")
    with pytest.raises(load_driver.ServerFailed, match="exited with status 3 before answering(.|\n)*no such setting"):
        server.start()
