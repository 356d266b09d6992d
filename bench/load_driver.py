"""The benchmark's load driver: a server process watched through /proc, and wrk with bench/load.lua.

Stdlib only, Linux only (/proc). bench/benchmark.py runs gunicorn with it; tests/test_benchmark.py
runs it against a small server of its own. Everything is on loopback (127.0.0.1).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path

LOAD_SCRIPT = Path(__file__).resolve().parent / "load.lua"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
WRK_MISSING = "wrk is not installed: it makes the load (Debian/Ubuntu: apt-get install wrk)"


def wrk_missing():
    """What is missing for wrk to run, or None."""
    return None if shutil.which("wrk") else WRK_MISSING


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path, headers=None, timeout=10.0):
    """One GET on a new connection: (status, [(header, value)], body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.getheaders(), answer.read()
    finally:
        connection.close()


# --- a server and its processes, from /proc --------------------------------------------------------


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name: [state, ppid, ...]; None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def memory_kib(pid):
    """Resident (VmRSS) and proportional (Pss) memory of a process, in KiB."""
    rss = pss = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return {"rss_kib": rss, "pss_kib": pss}


class ServerFailed(Exception):
    pass


class Server:
    """A server started in a process group of its own: a master (the process started) and its workers
    (its children). `start()` returns the cold start: from the spawn to the first 200 on `ready_path`."""

    def __init__(self, command, *, port, cwd, env, log, ready_path, headers=None, start_timeout=60.0):
        self.command, self.port, self.cwd, self.env, self.log = command, port, cwd, env, Path(log)
        self.ready_path, self.headers, self.start_timeout = ready_path, dict(headers or {}), start_timeout
        self.process = None

    def start(self):
        with open(self.log, "a") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = started + self.start_timeout
        while True:
            if self.process.poll() is not None:
                self.fail(f"exited with status {self.process.returncode} before answering")
            try:
                status, _, body = get(
                    self.port, self.ready_path, self.headers, timeout=max(1.0, deadline - time.perf_counter())
                )
            except ConnectionError:  # not listening yet, or a worker not serving yet
                if time.perf_counter() > deadline:
                    self.fail(f"did not answer within {self.start_timeout:.0f} s")
                time.sleep(0.005)
                continue
            except TimeoutError:
                self.fail(f"did not answer within {self.start_timeout:.0f} s")
            cold_start_ms = (time.perf_counter() - started) * 1000
            if status != 200:
                self.fail(f"answered {self.ready_path} with {status}, not 200: {body[:300]!r}")
            return cold_start_ms

    def fail(self, what):
        self.stop()
        tail = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
        raise ServerFailed(f"{' '.join(map(str, self.command))}: {what}\n--- its log:\n{tail}")

    def workers(self):
        return children(self.process.pid) if self.process else []

    def cpu_seconds(self):
        """CPU time of the master and its workers so far: user and system, of every thread. A worker that
        exited and was waited for (recycled, say) is still counted, in the master's children's times."""
        if not self.process:
            return 0.0
        ticks = 0
        master = stat_fields(self.process.pid)
        if master:
            ticks += sum(int(value) for value in master[11:15])  # utime, stime, cutime, cstime
        for pid in self.workers():
            fields = stat_fields(pid)
            if fields:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / TICKS_PER_SECOND

    def memory(self):
        return {
            "master": memory_kib(self.process.pid) if self.process else None,
            "workers": [memory_kib(pid) for pid in self.workers()],
        }

    def stop(self, timeout=15):
        """SIGTERM to the master (which stops its workers), SIGKILL to the group after `timeout` s and
        then to any process of the group still there."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


# --- wrk ------------------------------------------------------------------------------------------


class LoadFailed(Exception):
    pass


def wrk(port, path, *, mode, duration, connections, threads=1, headers=None, timeout=10):
    """wrk with bench/load.lua for `duration` seconds; its LOAD line, parsed."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        f"--timeout={timeout}s",
        f"--script={LOAD_SCRIPT}",
        *(f"--header={name}: {value}" for name, value in (headers or {}).items()),
        f"http://127.0.0.1:{port}{path}",
        "--",
        mode,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 30, check=False)
    except subprocess.TimeoutExpired as error:
        raise LoadFailed(f"wrk did not stop: {' '.join(command)}") from error
    lines = [line for line in result.stdout.splitlines() if line.startswith("LOAD ")]
    if result.returncode != 0 or not lines:
        raise LoadFailed(f"wrk failed ({result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1][len("LOAD ") :])


def counter_sample(port, path, headers=None, requests=5):
    """One client's requests in a row, with a cookie jar: its counter must go 1, 2, ... `requests`, and
    no answer may set more than one cookie (wrk keeps only one Set-Cookie header of an answer)."""
    jar, counters, most_cookies = {}, [], 0
    for _ in range(requests):
        sent = dict(headers or {})
        if jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        status, answer_headers, body = get(port, path, sent)
        if status != 200:
            return {"ok": False, "counters": counters, "error": f"HTTP {status}: {body[:200]!r}"}
        set_cookies = [value for name, value in answer_headers if name.lower() == "set-cookie"]
        most_cookies = max(most_cookies, len(set_cookies))
        for header in set_cookies:
            cookie = SimpleCookie()
            cookie.load(header)
            jar.update((name, morsel.value) for name, morsel in cookie.items())
        counters.append(int(body) if body.strip().isdigit() else body[:50].decode(errors="replace"))
    ok = counters == list(range(1, requests + 1)) and most_cookies <= 1
    return {"ok": ok, "counters": counters, "most_cookies_in_an_answer": most_cookies}


def body_sample(port, path, headers=None, expected=None):
    """One request: a 200 whose body is `expected` (when given)."""
    status, answer_headers, body = get(port, path, headers)
    ok = status == 200 and (expected is None or body == expected)
    found = {name.lower(): value for name, value in answer_headers}
    return {"ok": ok, "status": status, "bytes": len(body), "cache_control": found.get("cache-control")}


def measure(server, path, *, mode, duration, warmup, connections, threads=1, headers=None):
    """Load a started server: `warmup` seconds unmeasured, then `duration` seconds measured, and the CPU time
    its processes spent meanwhile (from /proc, before and after) and their memory after."""
    load = {"mode": mode, "connections": connections, "threads": threads, "headers": headers}
    if warmup:
        wrk(server.port, path, duration=warmup, **load)
    cpu_before = server.cpu_seconds()
    result = wrk(server.port, path, duration=duration, **load)
    cpu_after = server.cpu_seconds()
    memory = server.memory()
    requests, seconds = result["requests"], result["duration_us"] / 1e6
    answers = {name[len("answers_") :]: value for name, value in result.items() if name.startswith("answers_")}
    record = {
        "path": path,
        "duration_s": seconds,
        "requests": requests,
        "rps": requests / seconds if seconds else None,
        "p50_ms": result["latency_p50_us"] / 1000,
        "p90_ms": result["latency_p90_us"] / 1000,
        "p99_ms": result["latency_p99_us"] / 1000,
        "max_ms": result["latency_max_us"] / 1000,
        "answers": answers,
        "error_answers": sum(count for status, count in answers.items() if status != "2xx"),
        "socket_errors": {name: result[f"socket_errors_{name}"] for name in ("connect", "read", "write", "timeout")},
        "cpu_us_per_request": (cpu_after - cpu_before) * 1e6 / requests if requests else None,
        "memory_kib": memory,
        "rss_mib_per_worker": median_rss_mib(memory["workers"]),
        "wrk_threads": threads,
        "wrk_connections": connections,
    }
    if mode == "counter":
        record["session_check"] = {
            name: result[name] for name in ("clients", "checked", "violations", "resets", "unattributed")
        }
    return record


def median_rss_mib(workers):
    values = [worker["rss_kib"] for worker in workers if worker.get("rss_kib")]
    return statistics.median(values) / 1024 if values else None
