"""Real backing services for the tests: the ones the environment names, or throwaway ones.

DATABASE_URL, REDIS_URL, AWS_S3_ENDPOINT_URL and EMAIL_URL are used when they are set. Otherwise this
starts PostgreSQL (initdb, as a non-root user when run as root), redis-server and moto's S3 server on
free loopback ports, and stops them by PID at the end, and an SMTP server (aiosmtpd) in a thread. What
cannot be started fails the run with a message that says what to install; nothing is skipped.
"""

import contextlib
import email
import email.policy
import glob
import gzip
import json
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ServiceError(Exception):
    pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, name, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"{name} exited with status {process.returncode}; its log:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceError(f"{name} did not listen on port {port} within {timeout} s; its log:\n{log.read_text()}")


def find_program(name, install_hint):
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)  # newest first
    found = shutil.which(name) or next(iter(installed), None)
    if not found:
        raise ServiceError(f"{name} is not installed and no URL was given for it: {install_hint}")
    return found


class Server:
    """A throwaway server on a free loopback port, which a test may stop, start again, pause and resume."""

    name = "server"

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / f"{self.name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.run_as = {}

    def command(self):
        raise NotImplementedError

    def start(self):
        with self.log.open("a") as output:
            self.process = subprocess.Popen(self.command(), stdout=output, stderr=subprocess.STDOUT, **self.run_as)
        wait_for_port(self.port, self.process, self.name, self.log)
        return self

    def stop(self):
        """A clean shutdown: PostgreSQL's fast mode; Redis saves what it persists."""
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def started(self) -> subprocess.Popen[bytes]:
        assert self.process, f"{self.name} was never started"
        return self.process

    def pause(self):
        self.started.send_signal(signal.SIGSTOP)

    def resume(self):
        self.started.send_signal(signal.SIGCONT)


class Postgres(Server):
    name = "postgres"

    def __init__(self, workdir):
        super().__init__(workdir)
        hint = "install PostgreSQL (apt-get install postgresql) or set DATABASE_URL."
        initdb, self.postgres = find_program("initdb", hint), find_program("postgres", hint)
        self.data = workdir / f"postgres-{self.port}"
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = _user("postgres") or _user("nobody")
            workdir.chmod(0o755)
            self.data.mkdir()
            os.chown(self.data, user.pw_uid, user.pw_gid)
            self.run_as = {"user": user.pw_uid, "group": user.pw_gid}
        subprocess.run(
            [initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"],
            check=True,
            capture_output=True,
            **self.run_as,
        )

    def command(self):
        data = str(self.data)
        return [self.postgres, "-D", data, "-p", str(self.port), "-h", "127.0.0.1", "-k", data, "-F"]

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


class Redis(Server):
    name = "redis"

    def __init__(self, workdir, persistent=False):
        super().__init__(workdir)
        self.server = find_program("redis-server", "install Redis (apt-get install redis-server) or set REDIS_URL.")
        self.persistence = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else ["--appendonly", "no"]

    def command(self):
        directory = self.workdir / f"redis-{self.port}"
        directory.mkdir(exist_ok=True)
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(directory)]
        return [self.server, *options, *self.persistence]

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


class S3(Server):
    name = "s3"

    def command(self):
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def url(self):
        return f"http://127.0.0.1:{self.port}"


class Started(ExitStack):
    """Servers started in a ``with`` block: all of them stop when it ends, also when it ends because
    one of them, or anything after them, failed."""

    def start(self, server):
        self.callback(server.stop)  # before starting: a server that fails to listen may still run
        return server.start()


class Proxy:
    """A TCP proxy in front of a server: ``cut()`` makes the server look gone (connections refused,
    open ones closed), ``restore()`` brings it back on the same port."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections = []
        self.restore()

    def restore(self):
        if self.listener and self.listener.fileno() != -1:
            return  # not cut
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        assert self.listener, "never opened"
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone would not
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):  # already closed by its end
                connection.shutdown(socket.SHUT_RDWR)  # close() alone leaves it open while a thread reads it
            connection.close()
        self.connections.clear()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            sink.close()


class SMTP:
    """An SMTP server on a free loopback port, in a thread of this process (aiosmtpd): it keeps every
    message it receives in ``messages``, for the tests to read."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # not a line per connection
        self.port = free_port()
        self.messages = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"


class SentryReceiver:
    """A Sentry server on a free loopback port, in a thread of this process: it accepts the envelopes
    that sentry-sdk posts (https://develop.sentry.dev/sdk/envelopes/), compressed or not, and keeps the
    events and transactions in them, as dicts, in ``received``."""

    def __init__(self):
        self.received = []  # (item type, payload)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.receive(body, self.headers.get("Content-Encoding"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def receive(self, body, encoding):
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        rest = body.partition(b"\n")[2]  # the envelope's header
        while rest.strip():
            item_header, _, rest = rest.partition(b"\n")
            item = json.loads(item_header)
            if "length" in item:
                payload, rest = rest[: item["length"]], rest[item["length"] + 1 :]
            else:
                payload, _, rest = rest.partition(b"\n")
            if item["type"] in ("event", "transaction"):
                self.received.append((item["type"], json.loads(payload)))

    def of_type(self, item_type):
        return [payload for kind, payload in list(self.received) if kind == item_type]

    def wait_for(self, item_type, matching=lambda payload: True, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := [payload for payload in self.of_type(item_type) if matching(payload)]:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching {item_type} arrived in {timeout} s; received: {self.received!r}"[:3000])

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def dsn(self):
        return f"http://public-key@127.0.0.1:{self.port}/1"


class Services:
    """Starts what the environment does not provide; ``environment()`` tells the project where."""

    def __init__(self, slug):
        self.slug = slug
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{slug}-services-"))
        self.started = Started()
        self.redis_key_prefix = f"test-{slug}-{secrets.token_hex(4)}"  # never collides, never flushed
        self.shared_redis_url = None  # a server given by REDIS_URL, whose other keys must stay

    def start(self, server):
        return self.started.start(server)

    def stop(self):
        self.forget_redis_keys()
        self.started.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def forget_redis_keys(self):
        """Delete this run's keys from a shared server; a throwaway one just stops."""
        if not self.shared_redis_url:
            return
        import redis

        pattern = f"{self.redis_key_prefix}:*"
        try:
            with redis.Redis.from_url(self.shared_redis_url, socket_timeout=5) as server:
                for key in server.scan_iter(pattern, count=1000):
                    server.delete(key)
        except redis.RedisError as error:
            print(f"Could not delete the test keys {pattern} from Redis: {error}", file=sys.stderr)

    def environment(self):
        """Variables for a production-mode project that uses these services."""
        given = os.environ
        self.shared_redis_url = given.get("REDIS_URL")
        variables = {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": given.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            "SITE_URL": "https://localhost",
            "EMAIL_URL": given.get("EMAIL_URL") or self.start(SMTP()).url(),
            "DATABASE_URL": given.get("DATABASE_URL") or self.start(Postgres(self.workdir)).url(self.slug),
            "REDIS_URL": given.get("REDIS_URL") or self.start(Redis(self.workdir)).url(),
            "REDIS_KEY_PREFIX": self.redis_key_prefix,
        }
        if given.get("AWS_S3_ENDPOINT_URL"):
            variables["AWS_S3_ENDPOINT_URL"] = given["AWS_S3_ENDPOINT_URL"]
        else:
            variables.update(
                AWS_S3_ENDPOINT_URL=self.start(S3(self.workdir)).url(),
                AWS_S3_REGION_NAME="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",  # moto accepts any key
            )
        variables["AWS_STORAGE_BUCKET_NAME"] = given.get("AWS_STORAGE_BUCKET_NAME") or self.bucket(
            {**given, **variables}
        )
        return variables

    def bucket(self, variables):
        import boto3

        name = f"{self.slug.replace('_', '-')}-test-{secrets.token_hex(4)}"
        s3 = boto3.client(
            "s3",
            endpoint_url=variables["AWS_S3_ENDPOINT_URL"],
            region_name=variables.get("AWS_S3_REGION_NAME"),
            aws_access_key_id=variables.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=variables.get("AWS_SECRET_ACCESS_KEY"),
        )
        s3.create_bucket(Bucket=name)
        return name


def _user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None
