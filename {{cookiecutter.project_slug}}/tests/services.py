"""Real backing services for the tests: the ones the environment names, or throwaway ones.

DATABASE_URL, REDIS_URL and AWS_S3_ENDPOINT_URL are used when they are set. Otherwise this starts
PostgreSQL (initdb, as a non-root user when run as root), redis-server and moto's S3 server on free
loopback ports, and stops them by PID at the end. What cannot be started fails the run with a
message that says what to install; nothing is skipped.
"""

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
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


class Services:
    """Starts what the environment does not provide; ``environment()`` tells the project where."""

    def __init__(self, slug):
        self.slug = slug
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{slug}-services-"))
        self.processes = []
        self.redis_key_prefix = f"test-{slug}-{secrets.token_hex(4)}"  # never collides, never flushed
        self.shared_redis_url = None  # a server given by REDIS_URL, whose other keys must stay

    def start(self, name, command, port, **options):
        log = self.workdir / f"{name}.log"
        with log.open("w") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **options)
        self.processes.append(process)
        wait_for_port(port, process, name, log)
        return process

    def stop(self):
        self.forget_redis_keys()
        for process in reversed(self.processes):
            process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown; the others just stop
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
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

    def postgres(self):
        hint = "install PostgreSQL (apt-get install postgresql) or set DATABASE_URL."
        initdb, postgres = find_program("initdb", hint), find_program("postgres", hint)
        data, port = self.workdir / "postgres", free_port()
        run_as = {}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = _user("postgres") or _user("nobody")
            self.workdir.chmod(0o755)
            data.mkdir()
            os.chown(data, user.pw_uid, user.pw_gid)
            run_as = {"user": user.pw_uid, "group": user.pw_gid}
        subprocess.run(
            [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
            check=True,
            capture_output=True,
            **run_as,
        )
        command = [postgres, "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(data), "-F"]
        self.start("postgres", command, port, **run_as)
        return f"postgres://postgres@127.0.0.1:{port}/{self.slug}"

    def redis(self):
        server = find_program("redis-server", "install Redis (apt-get install redis-server) or set REDIS_URL.")
        port = free_port()
        self.start("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""], port)
        return f"redis://127.0.0.1:{port}/0"

    def s3(self):
        port = free_port()
        self.start("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port)
        return f"http://127.0.0.1:{port}"

    def environment(self):
        """Variables for a production-mode project that uses these services."""
        given = os.environ
        self.shared_redis_url = given.get("REDIS_URL")
        variables = {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": given.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            "DATABASE_URL": given.get("DATABASE_URL") or self.postgres(),
            "REDIS_URL": given.get("REDIS_URL") or self.redis(),
            "REDIS_KEY_PREFIX": self.redis_key_prefix,
        }
        if given.get("AWS_S3_ENDPOINT_URL"):
            variables["AWS_S3_ENDPOINT_URL"] = given["AWS_S3_ENDPOINT_URL"]
        else:
            variables.update(
                AWS_S3_ENDPOINT_URL=self.s3(),
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
