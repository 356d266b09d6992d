"""Web processes of the project, started as the Procfile says, and a load balancer in front of them.

The balancer opens a new connection for every request and never sticks a client to a process. When
a process goes away it does what a real one does: a request that could not connect (nothing was
sent) goes to the next process; a request that was sent and got no answer is a failure, counted.
"""

import http.client
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tests.harness.services import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROBE_SETTINGS = "tests.harness.probe_settings"  # the project's settings, with the probe views' URLs


def run_project(*args, env=None, timeout=60):
    """Run a command of the project (``manage.py check``, say) in a fresh process."""
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def procfile_command(process_type):
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return shlex.split(command)
    raise AssertionError(f"no {process_type} process in the Procfile")


class WebProcess:
    """The Procfile's web process (gunicorn, two workers) on a port of its own, in its own process
    group so that ``kill`` takes the master and its workers down together."""

    def __init__(self, env, log_dir, name="web", *options, settings_module=PROBE_SETTINGS):
        self.env, self.name, self.options = {**env, "DJANGO_SETTINGS_MODULE": settings_module}, name, options
        self.port = free_port()
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready="/readyz"):
        return self.launch().wait_until_ready(ready)

    def launch(self):
        env = {**self.env, "PORT": str(self.port), "WEB_CONCURRENCY": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [*procfile_command("web"), *self.options],
                cwd=PROJECT_DIR,
                env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        return self

    def wait_until_ready(self, ready="/readyz", timeout=30):
        deadline, answer = time.monotonic() + timeout, None
        while time.monotonic() < deadline and self.running:
            try:
                answer = self.get(ready)
                if answer.status == 200:
                    return self
            except (Refused, Failed):
                pass
            time.sleep(0.1)
        self.stop()
        said = f"{answer.status} {answer.body[:500]!r}" if answer else "no answer"
        raise AssertionError(f"{self.name} did not become ready on {ready} ({said}):\n{self.log.read_text()[-3000:]}")

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def get(self, path, headers=None):
        return send(self, "GET", path, headers or {})

    @property
    def started(self) -> subprocess.Popen[bytes]:
        assert self.process, f"{self} was never started"
        return self.process

    def kill(self):
        os.killpg(self.started.pid, signal.SIGKILL)
        self.started.wait()

    def terminate(self):
        self.started.send_signal(signal.SIGTERM)

    def stop(self):
        if self.running:
            self.terminate()
            try:
                self.started.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __repr__(self):
        return f"{self.name}:{self.port}"


@dataclass
class Response:
    process: WebProcess
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class Refused(Exception):
    """Nothing reached the process: safe to send elsewhere."""


class Failed(Exception):
    """The request was sent and no answer came back."""


def send(process, method, path, headers, body=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=timeout)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError as error:
            raise Refused(process) from error
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Response(process, response.status, response.headers, response.read())
    except (OSError, http.client.HTTPException) as error:
        raise Failed(f"{method} {path} to {process}: {error!r}") from error
    finally:
        connection.close()


class Balancer:
    """Round-robin over the processes that are up; a refused connection marks a process down."""

    def __init__(self, *processes):
        self.processes = list(processes)
        self.down = set()
        self.in_flight: Counter[WebProcess] = Counter()
        self.failures = []
        self.lock = threading.Lock()

    def send(self, method, path, headers, body=None, *, turn=0, to=None):
        first = turn % len(self.processes)
        order = [to] if to else self.processes[first:] + self.processes[:first]
        for process in order:
            with self.lock:
                if process in self.down and not to:
                    continue
                self.in_flight[process] += 1
            try:
                return send(process, method, path, headers, body)
            except Refused:
                with self.lock:
                    self.down.add(process)
            except Failed as failure:
                with self.lock:
                    self.failures.append((process, str(failure)))
                raise
            finally:
                with self.lock:
                    self.in_flight[process] -= 1
        raise Failed(f"{method} {path}: no process is up")

    def kill(self, process):
        """``kill -9`` mid-load; returns how many requests the process had in flight."""
        with self.lock:  # no new request is sent anywhere until the process is gone
            in_flight = self.in_flight[process]
            process.kill()
            self.down.add(process)
        return in_flight

    def restored(self, process):
        with self.lock:
            self.down.discard(process)


def client_address():
    """An address of the documentation range (2001:db8::/32) that no other visitor of the run has."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


class Visitor:
    """A browser behind the TLS-terminating load balancer: keeps its cookies and, request by request,
    goes to the next process in turn. The balancer says which address the browser connected from."""

    def __init__(self, balancer):
        self.balancer = balancer
        self.cookies = {}
        self.turn = 0
        self.address = client_address()

    def request(self, method, path, body=None, headers=None, to=None):
        headers = {
            "Host": "localhost",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            **(headers or {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        self.turn += 1
        response = self.balancer.send(method, path, headers, body, turn=self.turn, to=to)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path, to=None):
        return self.request("GET", path, to=to)

    def post_form(self, path, fields, to=None):
        token = self.cookies["csrftoken"]
        body = urlencode({**fields, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://localhost"}
        return self.request("POST", path, body, headers, to=to)

    def post_file(self, path, field, filename, content, to=None):
        boundary, token = secrets.token_hex(16), self.cookies["csrftoken"]
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'.encode(),
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": "https://localhost"}
        return self.request("POST", path, body, headers, to=to)

    def log_in(self, username, password, to=None):
        response = self.try_to_log_in(username, password, to=to)
        assert response.status == 302, response.body
        return response

    def try_to_log_in(self, username, password, to=None):
        """The answer to a login: 302 when it succeeds, 200 (the form again) when it fails, 429 when refused."""
        if "csrftoken" not in self.cookies:
            page = self.get("/accounts/login/", to=to)
            assert page.status == 200, page.body
        return self.post_form("/accounts/login/", {"username": username, "password": password}, to=to)


def serve(env, logs, *names, settings_module=PROBE_SETTINGS, options=()):
    """Web processes of the given names, started side by side, behind one balancer (a generator, for
    fixtures: it stops them afterwards)."""
    processes = [WebProcess(env, logs, name, *options, settings_module=settings_module).launch() for name in names]
    try:
        for process in processes:
            process.wait_until_ready()
        yield Balancer(*processes)
    finally:
        for process in processes:
            process.stop()


def restarted(balancer):
    """The balancer with all of its processes up, whatever an earlier test did to them."""
    for process in balancer.processes:
        if not process.running:
            process.start()
        balancer.restored(process)
    balancer.failures.clear()
    return balancer


@dataclass
class Visit:
    started: float
    finished: float
    response: Response | None  # None: sent, and no answer came back

    @property
    def ok(self):
        return self.response is not None and self.response.status == 200

    @property
    def answer(self) -> Response:
        """The response of a visit that is ``ok``."""
        assert self.response, "no answer came back"
        return self.response


class Load:
    """Visitors requesting ``path`` in a loop, each in a thread of its own: ``visits`` times each
    with ``run()``, or until the ``with`` block ends."""

    def __init__(self, balancer, visitors, path="/probe/count", visits=None):
        self.path, self.limit = path, visits
        self.visitors = [Visitor(balancer) for _ in range(visitors)]
        self.visits: dict[Visitor, list[Visit]] = {visitor: [] for visitor in self.visitors}
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.visit, args=(visitor,)) for visitor in self.visitors]

    def visit(self, visitor):
        while not self.stopping.is_set() and (self.limit is None or len(self.visits[visitor]) < self.limit):
            started = time.monotonic()
            try:
                response = visitor.get(self.path)
            except Failed:
                response = None
            self.visits[visitor].append(Visit(started, time.monotonic(), response))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def run(self):
        with self:
            for thread in self.threads:
                thread.join()
        return self

    def all(self):
        return [visit for visits in self.visits.values() for visit in list(visits)]

    def failures(self):
        return [visit for visit in self.all() if not visit.ok]

    def pids(self, process):
        return {visit.answer.json()["pid"] for visit in self.all() if visit.ok and visit.answer.process is process}

    def wait_until_each_has(self, more, served_by=None, exclude_pids=(), timeout=30):
        """Wait until every visitor has ``more`` answers than now (from ``served_by`` alone, if given)."""

        def counted(visitor):
            return sum(
                1
                for visit in list(self.visits[visitor])
                if visit.ok
                and (served_by is None or visit.answer.process is served_by)
                and visit.answer.json()["pid"] not in exclude_pids
            )

        targets = {visitor: counted(visitor) + more for visitor in self.visitors}
        deadline = time.monotonic() + timeout
        while any(counted(visitor) < target for visitor, target in targets.items()):
            assert time.monotonic() < deadline, f"no progress in {timeout} s"
            time.sleep(0.05)


def count_problems(visits):
    """Where a visitor's session counter did not rise by exactly one per answered request. After a
    request without an answer it may rise by two: that request may have been saved before its answer
    was lost. Returns the last count and the problems."""
    previous, after_failure, problems = 0, False, []
    for visit in visits:
        if not visit.ok:
            after_failure = True
            continue
        count = visit.response.json()["count"]
        if count not in ((previous + 1, previous + 2) if after_failure else (previous + 1,)):
            problems.append(f"count went from {previous} to {count}")
        previous, after_failure = count, False
    return previous, problems
