"""The benchmark's report (bench/benchmark.py): medians, ratios and targets from the harness's records,
and an exit status that only correctness decides. The measuring itself needs the load harness and
takes minutes, so it is not run here: see the README's Benchmark section."""

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import TEMPLATE

spec = importlib.util.spec_from_file_location("benchmark", TEMPLATE / "bench" / "benchmark.py")
benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark)


def scenario(label, name, rps, violations=0, errors=0, workers_kib=(50_000, 52_000), round_number=1):
    record = {
        "kind": "scenario",
        "round": round_number,
        "label": label,
        "scenario": name,
        "rps": rps,
        "p50_ms": 5.0,
        "p99_ms": 9.0,
        "server_cpu_us_per_req": 500.0,
        "non2xx": errors,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "rss_kb_by_pid": {"100": 20_000, "101": workers_kib[0], "102": workers_kib[1]},
    }
    if name == "session":
        record["session_stream_check"] = {"checked": 1000, "violations": violations}
        record["sample_check"] = {"ok": True}
    return record


def records(shipped_write=900, violations=0):
    return [
        scenario("shipped", "session", shipped_write, violations),
        scenario("shipped:read", "session", 950),
        scenario("shipped", "plain", 1900),
        scenario("shipped", "static", 3000),
        scenario("in-process", "session", 1000, violations=400),  # its workers do not share sessions
        scenario("in-process:read", "session", 1000, violations=500),
        scenario("in-process", "plain", 2000),
        scenario("db-sessions", "session", 300),
        scenario("db-sessions:read", "session", 400),
        scenario("bare", "plain", 2000, workers_kib=(40_000, 42_000)),
        {"kind": "cold_start", "label": "shipped", "samples_ms": [600, 700, 650]},
        {"kind": "cold_start", "label": "bare", "samples_ms": [500, 520, 510]},
    ]


@pytest.fixture
def args(tmp_path):
    return argparse.Namespace(out=str(tmp_path / "results.json"), harness=None)


def test_ratios_and_targets_come_from_the_medians(args, capsys):
    assert benchmark.report(records(), args, None) == 0
    results = json.loads(Path(args.out).read_text())
    targets = {result["target"].split(":")[0]: result for result in results["targets"]}
    assert targets["session-write rate"]["ratio"] == pytest.approx(0.9)
    assert targets["session-read rate"]["ratio"] == pytest.approx(0.95)
    assert targets["plain-view rate"]["ratio"] == pytest.approx(0.95)
    assert targets["cold start"]["ratio"] == pytest.approx(650 / 510)
    assert targets["memory per worker"]["ratio"] == pytest.approx(51_000 / 41_000)
    assert [result["met"] for result in targets.values()] == [True, True, True, False, False]
    assert targets["session-write rate"]["ratio_within_rounds"] == pytest.approx(0.9)
    table = capsys.readouterr().out
    assert "| shipped | write | 900 | 0.90 |" in table
    assert "lost (expected)" in table


def test_a_missed_target_never_fails_the_run(args):
    assert benchmark.report(records(shipped_write=100), args, None) == 0


def test_a_broken_session_counter_fails_the_run(args):
    assert benchmark.report(records(violations=1), args, None) == 1


def test_ratios_within_rounds_are_not_moved_by_a_load_that_came_in_the_middle_of_a_round(args):
    # The machine got busy in round 2, after the in-process run and before the shipped one.
    busy = [
        scenario("in-process", "session", 1000, round_number=2),
        scenario("shipped", "session", 450, round_number=2),
        scenario("shipped", "session", 440, round_number=3),
        scenario("in-process", "session", 490, round_number=3),
    ]
    summary, per_variant = benchmark.summarize(records() + busy)
    write = benchmark.targets(summary, per_variant)[0]
    assert write["ratio"] == pytest.approx(450 / 1000)
    assert write["ratio_within_rounds"] == pytest.approx(440 / 490)
