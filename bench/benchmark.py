#!/usr/bin/env python3
"""What statelessness costs: the generated project against its stateful bound and a bare startproject.

Bakes the template's default project, installs it, and measures it under gunicorn on loopback, against
real PostgreSQL and Redis (and moto's S3 server), with wrk and the probes in bench/support/. Variants:

  shipped          the project as generated: config.settings, run with its gunicorn.conf.py as the Procfile does
  in-process       the same, with sessions and cache in process memory: the stateful upper bound, a yardstick
  db-sessions      the same, with django.contrib.sessions.backends.db
  bare             `django-admin startproject` of the same Django, DEBUG off, in the project's virtualenv
  bare-whitenoise  the same with whitenoise's middleware and CompressedManifestStaticFilesStorage

Every variant runs with the same number of workers, worker class, threads and keep-alive: those of
the project's gunicorn.conf.py. Variants are interleaved round by round; the table shows medians.
Scenarios: a view that writes the session on every request (write), one that only reads an existing
session (read), a plain view (plain), a static file through whitenoise (static).

Stdlib only (bench/load_driver.py, bench/load.lua), plus wrk. The numbers never fail anything; a broken
session counter, an error answer or a failed run does (exit status 1).
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
from urllib.parse import urlsplit

import load_driver  # beside this file: Python puts the directory of the script it runs first on sys.path

TEMPLATE = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "support"  # the variants' settings, the probe views, the static file
STATIC_FILE = "bench/probe.css"  # in SUPPORT / "static"
HEADERS = {"X-Forwarded-Proto": "https"}  # as from the load balancer: no redirect to HTTPS

PLAN = {  # the scenarios each variant runs; the others would measure the same code again
    "shipped": ("write", "read", "plain", "static"),
    "in-process": ("write", "read", "plain"),
    "db-sessions": ("write", "read"),
    "bare": ("plain",),
    "bare-whitenoise": ("static",),
}
SCENARIOS = {  # probe URL (the static one is known after collectstatic), and the mode of bench/load.lua
    "write": ("/__bench__/session/", "counter"),
    "read": ("/__bench__/session-read/", "counter"),
    "plain": ("/__bench__/plain/", "plain"),
    "static": (None, "plain"),
}
READY_PATH = SCENARIOS["plain"][0]  # the first 200 of a cold start
BASELINE = {"plain": "bare", "static": "bare-whitenoise"}  # the "x bare" of each scenario
# Each worker of the in-process variant has a memory of its own: a client whose next request goes to
# the other worker is not known there and starts over. That is why it is no valid configuration.
LOSES_SESSIONS = {"in-process"}
TARGETS = [  # (name, scenario, variant, against, metric, comparison, bound)
    ("session-write rate", "write", "shipped", "in-process", "rps", ">=", 0.75),
    ("session-read rate", "read", "shipped", "in-process", "rps", ">=", 0.90),
    ("plain-view rate", "plain", "shipped", "bare", "rps", ">=", 0.90),
    ("static-file rate", "static", "shipped", "bare-whitenoise", "rps", ">=", 0.95),
    ("cold start", None, "shipped", "bare", "cold_start_ms", "<=", 1.10),
    ("memory per worker", None, "shipped", "bare", "rss_mib_per_worker", "<=", 1.2),
]


def say(*words):
    print("[benchmark]", *words, file=sys.stderr, flush=True)


def port_open(host, port):
    with socket.socket() as probe:
        probe.settimeout(3)
        return probe.connect_ex((host, port)) == 0


def run(command, cwd=None, env=None, log=None, timeout=600):
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise SystemExit(f"failed: {' '.join(map(str, command))} took more than {timeout} s") from error
    if log:
        with open(log, "a") as output:
            output.write(f"$ {' '.join(map(str, command))}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def find_cookiecutter():
    candidates = [Path(sys.executable).parent / "cookiecutter", TEMPLATE / ".venv" / "bin" / "cookiecutter"]
    return next((str(path) for path in candidates if path.exists()), None) or shutil.which("cookiecutter")


def missing_prerequisites(args):
    """Everything the run needs and does not find, each with what to do, before anything starts."""
    missing = [load_driver.wrk_missing()]
    if not find_cookiecutter():
        missing.append(
            "cookiecutter is not installed: run `python3 -m venv .venv && .venv/bin/pip install -e '.[test]'` "
            "and run the benchmark with .venv/bin/python"
        )
    if not shutil.which("make"):
        missing.append("make is not installed (Debian/Ubuntu: apt-get install make)")
    for option, url, default_port in (
        ("--postgres-url", args.postgres_url, 5432),
        ("--redis-url", args.redis_url, 6379),
    ):
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or default_port
        if not port_open(host, port):
            missing.append(f"nothing answers on {host}:{port} ({option} {url}): start the server or give its URL")
    return [problem for problem in missing if problem]


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


class Benchmark:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work or tempfile.mkdtemp(prefix="stateless-bench-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = self.work / "benchmark.log"
        self.records_file = self.work / "records.jsonl"
        self.records_file.unlink(missing_ok=True)
        self.name = f"bench_stateless_{secrets.token_hex(4)}"
        self.moto = None
        self.database_created = False
        self.env = None
        self.conf = None
        self.static_url = {}

    # --- set-up -----------------------------------------------------------------------------------

    def bake(self):
        cookiecutter = find_cookiecutter()
        tools = str(Path(cookiecutter).parent)  # uv, if installed beside it, makes `make install` fast
        say(f"baking the default project into {self.work}")
        run([cookiecutter, "--no-input", "-f", "-o", str(self.work), str(TEMPLATE)], log=self.log)
        self.project = self.work / "my_project"
        path = f"{tools}{os.pathsep}{os.environ['PATH']}"
        run(["make", "install"], cwd=self.project, env={**os.environ, "PATH": path}, log=self.log, timeout=900)
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
        port = load_driver.free_port()
        moto_log = open(self.work / "moto.log", "w")  # noqa: SIM115 - open while moto runs
        self.moto = subprocess.Popen(
            [self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=moto_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port):
            if time.monotonic() > deadline or self.moto.poll() is not None:
                raise SystemExit(f"moto's S3 server did not start: {(self.work / 'moto.log').read_text()[-2000:]}")
            time.sleep(0.1)
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "http://127.0.0.1",
            "EMAIL_URL": "dummy://",  # the benchmark sends no mail
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.args.redis_url,
            "REDIS_KEY_PREFIX": self.name,
            "AWS_STORAGE_BUCKET_NAME": self.name.replace("_", "-"),
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",  # moto accepts any key
            "WEB_CONCURRENCY": str(self.args.workers),
            "PYTHONUNBUFFERED": "1",
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

    def directory(self, variant):
        return self.bare if variant.startswith("bare") else self.project

    def variant_env(self, variant):
        """The environment of a variant: bench_settings wraps the project's settings (or bare's)."""
        directory = self.directory(variant)
        return {
            **self.env,
            "BENCH_VARIANT": variant,
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join([str(SUPPORT), str(directory)]),
            # The project's three variants share the files that its build would collect.
            "BENCH_STATIC_ROOT": str(self.work / f"static-{directory.name}"),
        }

    def collect_static(self):
        """collectstatic, as a build does, for the variants that serve static files; the URL of the
        benchmark's file, hashed by the variant's own storage."""
        for variant in (variant for variant, scenarios in PLAN.items() if "static" in scenarios):
            env, directory = self.variant_env(variant), self.directory(variant)
            run([self.python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=directory, env=env, log=self.log)
            code = (
                "import django, sys\ndjango.setup()\n"
                "from django.templatetags.static import static\nprint(static(sys.argv[1]))"
            )
            self.static_url[variant] = self.python_code(code, STATIC_FILE, env=env, cwd=directory).splitlines()[-1]
        say(f"static file: {self.static_url}")

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

    def server(self, variant, log_name):
        """gunicorn for a variant, as the Procfile runs it (from the project's directory, so with its
        gunicorn.conf.py; bare has none), on a port of its own on loopback."""
        port = load_driver.free_port()
        wsgi = "bare.wsgi:application" if variant.startswith("bare") else "config.wsgi"
        command = [self.python, "-m", "gunicorn", wsgi, f"--bind=127.0.0.1:{port}", f"--workers={self.args.workers}"]
        command += ["--log-level=warning", *self.shared_gunicorn]
        return load_driver.Server(
            command,
            port=port,
            cwd=self.directory(variant),
            env=self.variant_env(variant),
            log=self.work / "logs" / log_name,
            ready_path=READY_PATH,
            headers=HEADERS,
        )

    def record(self, record):
        with open(self.records_file, "a") as records:
            records.write(json.dumps(record) + "\n")

    def cold_starts(self, variant, round_number, count):
        for number in range(count):
            with self.server(variant, f"{variant}-{round_number}-cold-{number}.log") as server:
                milliseconds = server.start()
            self.record({"kind": "cold_start", "variant": variant, "round": round_number, "ms": milliseconds})

    def scenario(self, variant, scenario, round_number):
        args = self.args
        path, mode = SCENARIOS[scenario]
        path = path or self.static_url[variant]
        with self.server(variant, f"{variant}-{round_number}-{scenario}.log") as server:
            boot_ms = server.start()
            if mode == "counter":
                sample = load_driver.counter_sample(server.port, path, HEADERS)
            else:
                expected = (SUPPORT / "static" / STATIC_FILE).read_bytes() if scenario == "static" else b"ok"
                sample = load_driver.body_sample(server.port, path, HEADERS, expected)
            measured = load_driver.measure(
                server,
                path,
                mode=mode,
                duration=args.duration,
                warmup=args.warmup,
                connections=args.connections,
                threads=args.wrk_threads,
                headers=HEADERS,
            )
        record = {"kind": "scenario", "variant": variant, "scenario": scenario, "round": round_number}
        self.record({**record, "boot_ms": boot_ms, "sample_check": sample, **measured})
        check = measured.get("session_check")
        say(
            f"  {variant} {scenario}: {measured['rps']:,.0f} req/s, p99 {measured['p99_ms']:.1f} ms, "
            f"{measured['error_answers']} error answers, socket errors {sum(measured['socket_errors'].values())}"
            + (f", counters {check['violations']} off of {check['checked']}" if check else "")
        )

    def measure(self):
        args = self.args
        cold_starts = max(1, math.ceil(args.cold_starts / args.rounds))
        variants = [variant for variant in PLAN if variant in args.variants]
        (self.work / "logs").mkdir(exist_ok=True)
        for round_number in range(1, args.rounds + 1):
            say(f"round {round_number} of {args.rounds}")
            shift = (round_number - 1) % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                started = time.monotonic()
                self.cold_starts(variant, round_number, cold_starts)
                for scenario in PLAN[variant]:
                    if scenario in args.scenarios:
                        self.scenario(variant, scenario, round_number)
                say(f"  {variant}: done in {time.monotonic() - started:.0f} s")

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


def by_round(runs, value):
    """The median of `value` over the runs of each round: {round: median}."""
    rounds = {}
    for run in runs:
        if run.get("round") is not None:
            rounds.setdefault(run["round"], []).append(value(run))
    return {number: median(values) for number, values in rounds.items() if median(values) is not None}


def summarize(records):
    rows = {}
    for record in records:
        if record["kind"] == "scenario":
            rows.setdefault((record["variant"], record["scenario"]), []).append(record)
    summary = {}
    for (variant, scenario), runs in rows.items():
        checks = [run["session_check"] for run in runs if run.get("session_check")]
        summary[(variant, scenario)] = {
            "variant": variant,
            "scenario": scenario,
            "runs": len(runs),
            "rps": median([run["rps"] for run in runs]),
            "rps_runs": [round(run["rps"] or 0) for run in runs],
            "rps_by_round": by_round(runs, lambda run: run["rps"]),
            "p50_ms": median([run["p50_ms"] for run in runs]),
            "p99_ms": median([run["p99_ms"] for run in runs]),
            "cpu_us_per_request": median([run["cpu_us_per_request"] for run in runs]),
            "rss_mib_per_worker": median([run["rss_mib_per_worker"] for run in runs]),
            "rss_mib_per_worker_by_round": by_round(runs, lambda run: run["rss_mib_per_worker"]),
            "error_answers": sum(run["error_answers"] for run in runs),
            "socket_errors": sum(sum(run["socket_errors"].values()) for run in runs),
            "samples_ok": all(run["sample_check"]["ok"] for run in runs),
            "session_requests_checked": sum(check["checked"] for check in checks) if checks else None,
            # A counter off by anything but one, or an answer that cannot be told to its client.
            "session_violations": sum(check["violations"] + check["unattributed"] for check in checks)
            if checks
            else None,
            "session_resets": sum(check["resets"] for check in checks) if checks else None,
        }
    per_variant = {}
    for variant in PLAN:
        colds = [record for record in records if record["kind"] == "cold_start" and record["variant"] == variant]
        memory_row = summary.get((variant, "plain")) or summary.get((variant, PLAN[variant][0])) or {}
        per_variant[variant] = {
            "cold_start_ms": median([record["ms"] for record in colds]),
            "cold_start_samples": len(colds),
            "cold_start_ms_by_round": by_round(colds, lambda record: record["ms"]),
            "rss_mib_per_worker": memory_row.get("rss_mib_per_worker"),
            "rss_mib_per_worker_by_round": memory_row.get("rss_mib_per_worker_by_round", {}),
            "rss_measured_after": memory_row.get("scenario"),
        }
    for row in summary.values():
        bound = summary.get(("in-process", row["scenario"]))
        bare = summary.get((BASELINE.get(row["scenario"]), row["scenario"]))
        row["rps_vs_bound"] = row["rps"] / bound["rps"] if bound and bound["variant"] != row["variant"] else None
        row["rps_vs_bare"] = row["rps"] / bare["rps"] if bare and bare["variant"] != row["variant"] else None
    for variant, figures in per_variant.items():
        bare = per_variant["bare"]
        for metric in ("cold_start_ms", "rss_mib_per_worker"):
            known = figures[metric] and bare[metric] and variant != "bare"
            figures[f"{metric}_vs_bare"] = figures[metric] / bare[metric] if known else None
    return summary, per_variant


def broken_rows(summary):
    """The rows that fail the run: an error answer or socket error, a failed sample request, or a session
    counter that did not rise by exactly one (except where sessions are lost by design)."""
    broken = []
    for row in summary.values():
        sessions_count = row["variant"] not in LOSES_SESSIONS
        counter_scenario = row["session_violations"] is not None
        if (
            row["error_answers"]
            or row["socket_errors"]
            or (not row["samples_ok"] and (sessions_count or not counter_scenario))
            or (sessions_count and row["session_violations"])
        ):
            broken.append(row)
    return broken


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
        ours_by_round, theirs_by_round = ours.get(f"{metric}_by_round", {}), theirs.get(f"{metric}_by_round", {})
        paired = median([value / theirs_by_round[r] for r, value in ours_by_round.items() if theirs_by_round.get(r)])
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
        (
            "| variant | scenario | req/s | x bound | x bare | p50 ms | p99 ms | CPU us/req | RSS MiB/worker "
            "| req/s per round | errors | session check |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in PLAN:
        for scenario in SCENARIOS:
            row = summary.get((variant, scenario))
            if not row:
                continue
            check = "-"
            if row["session_violations"] is not None:
                good = row["session_violations"] == 0 and row["samples_ok"]
                verdict = "ok" if good else "lost (expected)" if variant in LOSES_SESSIONS else "BROKEN"
                check = f"{verdict}: {row['session_violations']} of {row['session_requests_checked']} not +1"
            elif not row["samples_ok"]:
                check = "BROKEN: wrong sample answer"
            errors = f"{row['error_answers']} + {row['socket_errors']}"
            lines.append(
                f"| {variant} | {scenario} | {number(row['rps'])} | {number(row['rps_vs_bound'], 2)} "
                f"| {number(row['rps_vs_bare'], 2)} | {number(row['p50_ms'], 2)} | {number(row['p99_ms'], 2)} "
                f"| {number(row['cpu_us_per_request'])} | {number(row['rss_mib_per_worker'], 1)} "
                f"| {' / '.join(map(str, row['rps_runs']))} | {errors} | {check} |"
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
            f"| {result['target']} | {number(result['ratio'], 3)} | {'pass' if result['met'] else 'MISS'} "
            f"| {number(result['ratio_within_rounds'], 3)} | {within} |"
        )
    return "\n".join(lines)


def report(records, args, conf):
    summary, per_variant = summarize(records)
    results = targets(summary, per_variant)
    print(table(summary, per_variant, results))
    broken = broken_rows(summary)
    if args.out:
        document = {
            "arguments": vars(args),
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
        say("BROKEN: error answers, socket errors, wrong sample answers or session counters that did not rise by one:")
        for row in broken:
            say(
                f"  {row['variant']} {row['scenario']}: {row['error_answers']} error answers, "
                f"{row['socket_errors']} socket errors, samples {'ok' if row['samples_ok'] else 'WRONG'}, "
                f"{row['session_violations']} counter violations"
            )
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per measurement (default 8)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each measurement (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (wrk -c; default 16)")
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk -t (default 1: it leaves the cores to the server)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of every variant (default 2)")
    parser.add_argument("--cold-starts", type=int, default=6, help="cold starts per variant, over all rounds")
    parser.add_argument(
        "--variants", type=lambda names: names.split(","), default=list(PLAN), help="comma-separated (default: all)"
    )
    parser.add_argument(
        "--scenarios", type=lambda names: names.split(","), default=list(SCENARIOS), help="comma-separated (default: all)"
    )
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
    missing = missing_prerequisites(args)
    if missing:
        say("cannot run:" + "".join(f"\n  - {problem}" for problem in missing))
        return 2
    benchmark = Benchmark(args)
    conf = None
    try:
        benchmark.bake()
        benchmark.services()
        benchmark.bare_project()
        benchmark.gunicorn_options()
        conf = {**benchmark.conf, "shared": benchmark.shared_gunicorn}
        benchmark.collect_static()
        benchmark.measure()
    except (load_driver.ServerFailed, load_driver.LoadFailed) as error:
        raise SystemExit(f"the run failed: {error}") from error
    finally:
        records = load_records(benchmark.records_file) if benchmark.records_file.exists() else []
        benchmark.clean_up()
    return report(records, args, conf)


if __name__ == "__main__":
    sys.exit(main())
