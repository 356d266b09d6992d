#!/usr/bin/env python3
"""What statelessness costs: the generated project against its stateful bound and a bare startproject.

Bakes the template's default project, installs it, and measures it under gunicorn on loopback, against
real PostgreSQL and Redis (and moto's S3 server), with the load harness django_bench.py (given by
--harness or DJANGO_BENCH_HARNESS; it needs `wrk`). Variants:

  shipped      the project as generated: config.settings, run with its gunicorn.conf.py as the Procfile does
  in-process   the same, with sessions and cache in process memory: the stateful upper bound, a yardstick
  db-sessions  the same, with django.contrib.sessions.backends.db
  bare         `django-admin startproject` of the same Django, DEBUG off, in the project's virtualenv

Every variant runs with the same number of workers, worker class, threads and keep-alive: those of
the project's gunicorn.conf.py. Variants are interleaved round by round; the table shows medians.
Scenarios: a view that writes the session on every request (write), one that only reads an existing
session (read), a plain view (plain), a static file through whitenoise (static).

Stdlib only; run it with any python3. The numbers never fail anything; a broken session counter,
an error answer or a failed run does (exit status 1).
"""

import argparse
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "support"  # settings of the variants, the read scenario

PLAN = {  # the scenarios each variant runs; the others would measure the same code again
    "shipped": ("write", "read", "plain", "static"),
    "in-process": ("write", "read", "plain"),
    "db-sessions": ("write", "read"),
    "bare": ("plain",),
}
SCENARIOS = ("write", "read", "plain", "static")
# Each worker of the in-process variant has a memory of its own: a client whose next request goes to
# the other worker is not known there and starts over. That is why it is no valid configuration.
LOSES_SESSIONS = {"in-process"}
HARNESS_SCENARIO = {"write": "session", "read": "session", "plain": "plain", "static": "static"}
TARGETS = [  # (name, scenario, variant, against, metric, comparison, bound)
    ("session-write rate", "write", "shipped", "in-process", "rps", ">=", 0.75),
    ("session-read rate", "read", "shipped", "in-process", "rps", ">=", 0.90),
    ("plain-view rate", "plain", "shipped", "bare", "rps", ">=", 0.95),
    ("cold start", None, "shipped", "bare", "cold_start_ms", "<=", 1.15),
    ("memory per worker", None, "shipped", "bare", "rss_mib_per_worker", "<=", 1.2),
]


def say(*words):
    print("[benchmark]", *words, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def run(command, cwd=None, env=None, log=None):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if log:
        with open(log, "a") as output:
            output.write(f"$ {' '.join(map(str, command))}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def find_cookiecutter():
    candidates = [Path(sys.executable).parent / "cookiecutter", TEMPLATE / ".venv" / "bin" / "cookiecutter"]
    found = next((str(path) for path in candidates if path.exists()), None) or shutil.which("cookiecutter")
    if not found:
        raise SystemExit("cookiecutter not found: run `python3 -m venv .venv && .venv/bin/pip install -e '.[test]'`")
    return found


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


class Benchmark:
    def __init__(self, args):
        self.args = args
        self.harness = args.harness
        self.work = Path(args.work or tempfile.mkdtemp(prefix="stateless-bench-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = self.work / "benchmark.log"
        self.records_file = self.work / "records.jsonl"
        self.records_file.unlink(missing_ok=True)
        self.name = f"bench_stateless_{secrets.token_hex(4)}"
        self.moto = None
        self.rounds = {}  # the round of each harness run
        self.database_created = False
        self.env = None

    # --- set-up -----------------------------------------------------------------------------------

    def bake(self):
        cookiecutter = find_cookiecutter()
        tools = str(Path(cookiecutter).parent)  # uv, if installed beside it, makes `make install` fast
        say(f"baking the default project into {self.work}")
        run([cookiecutter, "--no-input", "-f", "-o", str(self.work), str(TEMPLATE)], log=self.log)
        self.project = self.work / "my_project"
        path = f"{tools}{os.pathsep}{os.environ['PATH']}"
        run(["make", "install"], cwd=self.project, env={**os.environ, "PATH": path}, log=self.log)
        self.python = str(self.project / ".venv" / "bin" / "python")

    def python_code(self, code, *arguments, env=None, cwd=None):
        return run([self.python, "-c", code, *arguments], cwd=cwd, env=env, log=self.log).stdout

    def services(self):
        admin = self.args.postgres_url
        self.database_url = admin.rsplit("/", 1)[0] + f"/{self.name}"
        self.python_code(
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(f'CREATE DATABASE \"{sys.argv[2]}\"')",
            admin,
            self.name,
        )
        self.database_created = True
        port = free_port()
        moto_log = open(self.work / "moto.log", "w")  # noqa: SIM115 - open while moto runs
        self.moto = subprocess.Popen(
            [self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=moto_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not port_open(port):
            if time.monotonic() > deadline or self.moto.poll() is not None:
                raise SystemExit(f"moto's S3 server did not start: {(self.work / 'moto.log').read_text()[-2000:]}")
            time.sleep(0.1)
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.args.redis_url,
            "REDIS_KEY_PREFIX": self.name,
            "AWS_STORAGE_BUCKET_NAME": self.name.replace("_", "-"),
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",  # moto accepts any key
            "WEB_CONCURRENCY": str(self.args.workers),
            "PYTHONPATH": str(SUPPORT),
        }
        self.python_code(
            "import boto3, os\n"
            "boto3.client('s3', endpoint_url=os.environ['AWS_S3_ENDPOINT_URL'])"
            ".create_bucket(Bucket=os.environ['AWS_STORAGE_BUCKET_NAME'])",
            env=self.env,
        )
        project_env = {**self.env, "DJANGO_SETTINGS_MODULE": "config.settings"}
        run([self.python, "manage.py", "migrate", "--noinput"], cwd=self.project, env=project_env, log=self.log)

    def bare_project(self):
        self.bare = self.work / "bare"
        self.bare.mkdir()
        run([str(Path(self.python).parent / "django-admin"), "startproject", "bare", str(self.bare)], log=self.log)

    def gunicorn_options(self):
        """The worker settings of the project's gunicorn.conf.py, given to every variant alike."""
        code = (
            "import json, runpy\n"
            "conf = runpy.run_path('gunicorn.conf.py')\n"
            "names = ('worker_class', 'threads', 'keepalive', 'preload_app', 'max_requests', 'accesslog')\n"
            "print(json.dumps({name: conf.get(name) for name in names}))"
        )
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "config.settings"}
        self.conf = json.loads(self.python_code(code, env=env, cwd=self.project).splitlines()[-1])
        worker_class = self.conf["worker_class"] or "sync"
        self.shared_gunicorn = [
            f"--worker-class={worker_class}",
            f"--threads={self.conf['threads'] or 1}",
            f"--keep-alive={self.conf['keepalive'] if self.conf['keepalive'] is not None else 2}",
        ]
        say(f"gunicorn.conf.py: {self.conf}; every variant runs with {' '.join(self.shared_gunicorn)}")

    # --- measuring --------------------------------------------------------------------------------

    def harness_run(self, variant, scenarios, cold_starts, read=False):
        args = self.args
        project, wsgi = (self.bare, "bare.wsgi:application") if variant == "bare" else (self.project, "config.wsgi")
        command = [
            sys.executable,
            self.harness,
            "run",
            f"--project={project}",
            "--settings=bench_variant",
            f"--wsgi={wsgi}",
            f"--python={self.python}",
            f"--workers={args.workers}",
            f"--connections={args.connections}",
            f"--duration={args.duration}",
            f"--warmup={args.warmup}",
            "--repeats=1",
            f"--cold-starts={cold_starts}",
            f"--scenarios={','.join(HARNESS_SCENARIO[scenario] for scenario in scenarios)}",
            "--header=X-Forwarded-Proto: https",
            f"--label={variant}:read" if read else f"--label={variant}",
            f"--out={self.records_file}",
            "--skip-migrate",
        ] + [f"--gunicorn-arg={option}" for option in self.shared_gunicorn]
        env = {**self.env, "BENCH_VARIANT": variant}
        if read:
            env["BENCH_SESSION_READ"] = "1"
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        with open(self.log, "a") as output:
            output.write(f"$ {' '.join(command)}\n{result.stderr}\n")
        if result.returncode != 0:
            raise SystemExit(f"the harness failed on {variant} ({', '.join(scenarios)}):\n{result.stderr[-4000:]}")
        say(f"  {variant}: {', '.join(scenarios)} ({time.monotonic() - started:.0f} s)")

    def measure(self):
        args = self.args
        cold_starts = max(1, math.ceil(args.cold_starts / args.rounds))
        variants = list(PLAN)
        for round_number in range(args.rounds):
            say(f"round {round_number + 1} of {args.rounds}")
            order = variants[round_number % len(variants) :] + variants[: round_number % len(variants)]
            for variant in order:
                main = [scenario for scenario in PLAN[variant] if scenario != "read"]
                self.harness_run(variant, main, cold_starts)
                if "read" in PLAN[variant]:
                    self.harness_run(variant, ["read"], 0, read=True)
                for record in load_records(self.records_file):
                    self.rounds.setdefault(record["run_id"], round_number + 1)

    # --- clean-up ---------------------------------------------------------------------------------

    def clean_up(self):
        if self.moto and self.moto.poll() is None:
            os.killpg(self.moto.pid, signal.SIGTERM)
            self.moto.wait(timeout=10)
        if self.env:  # only this run's keys: the server may be shared
            self.python_code(
                "import redis, sys\n"
                "with redis.Redis.from_url(sys.argv[1]) as server:\n"
                "    for key in server.scan_iter(sys.argv[2] + ':*', count=1000): server.delete(key)",
                self.args.redis_url,
                self.name,
            )
        if self.database_created:
            self.python_code(
                "import psycopg, sys\n"
                "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
                "    c.execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')",
                self.args.postgres_url,
                self.name,
            )
        if not self.args.keep and not self.args.work:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            say(f"kept {self.work}")


# --- summary ----------------------------------------------------------------------------------------


def load_records(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.startswith("{")]


def worker_rss_mib(record):
    """Median resident memory of the workers; the master is the oldest process (lowest pid)."""
    by_pid = {int(pid): kib for pid, kib in record["rss_kb_by_pid"].items() if kib}
    workers = [kib for pid, kib in by_pid.items() if pid != min(by_pid)]
    return median(workers) / 1024 if workers else None


def summarize(records):
    rows = {}
    for record in records:
        if record["kind"] != "scenario":
            continue
        variant, _, mode = record["label"].partition(":")
        scenario = "read" if mode == "read" else {"session": "write"}.get(record["scenario"], record["scenario"])
        rows.setdefault((variant, scenario), []).append(record)
    summary = {}
    for (variant, scenario), runs in rows.items():
        checks = [run.get("session_stream_check") for run in runs if run.get("session_stream_check")]
        summary[(variant, scenario)] = {
            "variant": variant,
            "scenario": scenario,
            "runs": len(runs),
            "rps": median([run["rps"] for run in runs]),
            "rps_runs": [round(run["rps"]) for run in runs],
            "rps_by_round": {run["round"]: run["rps"] for run in runs if run.get("round")},
            "p50_ms": median([run["p50_ms"] for run in runs]),
            "p99_ms": median([run["p99_ms"] for run in runs]),
            "cpu_us_per_request": median([run["server_cpu_us_per_req"] for run in runs]),
            "rss_mib_per_worker": median([worker_rss_mib(run) for run in runs]),
            "errors": sum(run["non2xx"] + sum(run["socket_errors"].values()) for run in runs),
            "session_requests_checked": sum(check["checked"] for check in checks) if checks else None,
            "session_violations": sum(check["violations"] for check in checks) if checks else None,
            "session_sample_ok": all(run["sample_check"]["ok"] for run in runs) if checks else None,
        }
    per_variant = {}
    for variant in PLAN:
        cold = [ms for r in records if r["kind"] == "cold_start" and r["label"] == variant for ms in r["samples_ms"]]
        memory_row = summary.get((variant, "plain")) or summary.get((variant, PLAN[variant][0])) or {}
        per_variant[variant] = {
            "cold_start_ms": median(cold),
            "cold_start_samples": len(cold),
            "rss_mib_per_worker": memory_row.get("rss_mib_per_worker"),
            "rss_measured_after": memory_row.get("scenario"),
        }
    for row in summary.values():
        bound = summary.get(("in-process", row["scenario"]))
        bare = summary.get(("bare", row["scenario"]))
        row["rps_vs_bound"] = row["rps"] / bound["rps"] if bound and bound["variant"] != row["variant"] else None
        row["rps_vs_bare"] = row["rps"] / bare["rps"] if bare and bare["variant"] != row["variant"] else None
    for variant, figures in per_variant.items():
        bare = per_variant["bare"]
        for metric in ("cold_start_ms", "rss_mib_per_worker"):
            known = figures[metric] and bare[metric] and variant != "bare"
            figures[f"{metric}_vs_bare"] = figures[metric] / bare[metric] if known else None
    return summary, per_variant


def targets(summary, per_variant):
    results = []
    for name, scenario, variant, against, metric, comparison, bound in TARGETS:
        if scenario:
            ours, theirs = summary.get((variant, scenario), {}), summary.get((against, scenario), {})
        else:
            ours, theirs = per_variant.get(variant, {}), per_variant.get(against, {})
        ratio = ours[metric] / theirs[metric] if ours.get(metric) and theirs.get(metric) else None
        # The same ratio taken within each round, where the two ran minutes apart at most: a machine whose
        # load changes during the run moves the medians of the variants apart, less these.
        by_round, against_by_round = ours.get("rps_by_round", {}), theirs.get("rps_by_round", {})
        paired = median([rps / against_by_round[r] for r, rps in by_round.items() if against_by_round.get(r)])
        results.append(
            {
                "target": f"{name}: {variant} {comparison} {bound} x {against}",
                "ratio": ratio,
                "met": meets(ratio, comparison, bound),
                "ratio_within_rounds": paired,
                "met_within_rounds": meets(paired, comparison, bound) if paired is not None else None,
            }
        )
    return results


def meets(ratio, comparison, bound):
    return ratio is not None and (ratio >= bound if comparison == ">=" else ratio <= bound)


def number(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def table(summary, per_variant, results):
    lines = [
        "| variant | scenario | req/s | x bound | x bare | p50 ms | p99 ms | CPU us/req | RSS MiB/worker "
        "| req/s per round | errors | session check |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in PLAN:
        for scenario in SCENARIOS:
            row = summary.get((variant, scenario))
            if not row:
                continue
            check = "-"
            if row["session_violations"] is not None:
                good = row["session_violations"] == 0 and row["session_sample_ok"]
                verdict = "ok" if good else "lost (expected)" if variant in LOSES_SESSIONS else "BROKEN"
                check = (
                    f"{verdict}: {row['session_violations']} of {row['session_requests_checked']} off by more than 1"
                )
            lines.append(
                f"| {variant} | {scenario} | {number(row['rps'])} | {number(row['rps_vs_bound'], 2)} "
                f"| {number(row['rps_vs_bare'], 2)} | {number(row['p50_ms'], 2)} | {number(row['p99_ms'], 2)} "
                f"| {number(row['cpu_us_per_request'])} | {number(row['rss_mib_per_worker'], 1)} "
                f"| {' / '.join(map(str, row['rps_runs']))} | {row['errors']} | {check} |"
            )
    lines += [
        "",
        "| variant | cold start ms (n) | x bare | RSS MiB/worker (after) | x bare |",
        "|---|---|---|---|---|",
    ]
    for variant, figures in per_variant.items():
        lines.append(
            f"| {variant} | {number(figures['cold_start_ms'])} ({figures['cold_start_samples']}) "
            f"| {number(figures['cold_start_ms_vs_bare'], 2)} | {number(figures['rss_mib_per_worker'], 1)} "
            f"({figures['rss_measured_after']}) | {number(figures['rss_mib_per_worker_vs_bare'], 2)} |"
        )
    lines += [
        "",
        "| target | ratio of medians | | median of the ratios within each round | |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        within = {True: "pass", False: "MISS", None: "-"}[result["met_within_rounds"]]
        lines.append(
            f"| {result['target']} | {number(result['ratio'], 2)} | {'pass' if result['met'] else 'MISS'} "
            f"| {number(result['ratio_within_rounds'], 2)} | {within} |"
        )
    return "\n".join(lines)


def report(records, args, conf):
    summary, per_variant = summarize(records)
    results = targets(summary, per_variant)
    print(table(summary, per_variant, results))
    broken = [
        row
        for row in summary.values()
        if row["errors"]
        or (row["variant"] not in LOSES_SESSIONS and (row["session_violations"] or row["session_sample_ok"] is False))
    ]
    if args.out:
        document = {
            "arguments": {name: value for name, value in vars(args).items() if name != "harness"},
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "gunicorn": {"from_gunicorn_conf_py": conf, "every_variant": conf and conf.get("shared")},
            "rows": list(summary.values()),
            "variants": per_variant,
            "targets": results,
            "correct": not broken,
            "records": records,
        }
        Path(args.out).write_text(json.dumps(document, indent=1, default=str) + "\n")
        say(f"wrote {args.out}")
    if broken:
        say("BROKEN: errors or session counters that did not rise by exactly one:")
        for row in broken:
            say(
                f"  {row['variant']} {row['scenario']}: {row['errors']} errors, {row['session_violations']} violations"
            )
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--harness",
        default=os.environ.get("DJANGO_BENCH_HARNESS"),
        help="path of django_bench.py (default: $DJANGO_BENCH_HARNESS)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per measurement (default 8)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each measurement")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (wrk -c)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of every variant")
    parser.add_argument("--cold-starts", type=int, default=6, help="cold starts per variant, over all rounds")
    parser.add_argument("--out", help="write the summary and every measurement here, as JSON")
    parser.add_argument(
        "--postgres-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server on which the benchmark creates, then drops, a database of its own",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="Redis server; the benchmark uses a key prefix of its own and deletes its keys",
    )
    parser.add_argument("--work", help="directory to bake and work in, kept (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    parser.add_argument("--report", metavar="RECORDS_JSONL", help="only summarize the records of an earlier run")
    args = parser.parse_args(argv)
    if args.report:
        return report(load_records(args.report), args, None)
    if not args.harness or not Path(args.harness).is_file():
        parser.error("give the load harness: --harness PATH/django_bench.py (or set DJANGO_BENCH_HARNESS)")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    benchmark = Benchmark(args)
    conf = None
    try:
        benchmark.bake()
        benchmark.services()
        benchmark.bare_project()
        benchmark.gunicorn_options()
        conf = {**benchmark.conf, "shared": benchmark.shared_gunicorn}
        benchmark.measure()
    finally:
        records = load_records(benchmark.records_file) if benchmark.records_file.exists() else []
        for record in records:
            record["round"] = benchmark.rounds.get(record["run_id"])
        benchmark.clean_up()
    return report(records, args, conf)


if __name__ == "__main__":
    sys.exit(main())
