"""compose.yaml from a browser on the machine that runs it: Debian's Chromium, driven by Playwright, logs
in, uploads and downloads at the balancer's published address, as http://localhost and as http://127.0.0.1.

No container engine is needed: the stack is rebuilt from the same files. The release command and the
image's web process run with the environment compose.yaml gives them (only the backing services'
addresses and names are this machine's), behind Debian's nginx running compose's own nginx.conf, its
upstream pointed at that process. Chromium sends every request through that nginx as its proxy, so the
browser's origin is the address compose publishes, whatever free port nginx listens on here.

This is a test of the template, not of the generated suite: it proves that the template's deployment
files fit together, as tests/test_deploy.py does, and a browser and nginx would be a heavy requirement
on every generated project's CI for a property its own changes rarely touch.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import sync_playwright

from tests.conftest import free_port, run

CHROMIUM = "/usr/bin/chromium"  # Debian's; never a browser that Playwright downloads
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long passphrase nobody guesses"
# Run by the project's Python: its own harness provides PostgreSQL, Redis and an S3 bucket (the ones the
# environment names, or throwaway ones), and a database of this test's own; it prints their variables and
# keeps them until its standard input closes.
BACKING_SERVICES = """
import json, secrets, sys
from urllib.parse import urlsplit
import psycopg
from tests.harness.services import Services

services = Services("browser")
try:
    env = services.environment()
    server = urlsplit(env["DATABASE_URL"])._replace(path="/postgres").geturl()
    name = f"browser_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    env["DATABASE_URL"] = urlsplit(server)._replace(path=f"/{name}").geturl()
    print(json.dumps(env), flush=True)
    sys.stdin.read()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
finally:
    services.stop()
"""
SERVICE_VARIABLES = [
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_STORAGE_BUCKET_NAME",
]
NGINX = """
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""


def wait_until_ready(port, process, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{name} exited with status {process.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{name} did not answer on port {port} within {timeout} s")


def started(stack, command, log, **options):
    """A process that the stack stops (SIGTERM, then SIGKILL) when it closes."""
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **options)

    def stop():
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    return process


@pytest.fixture
def compose(project, tmp_path):
    """The compose stack of the project on this machine: the balancer's published origins, and the
    address of the nginx that stands in for it; the account ``alice`` exists."""
    spec = yaml.safe_load((project.path / "compose.yaml").read_text())["services"]
    python = str(project.path / ".venv" / "bin" / "python")
    with ExitStack() as stack:
        services = subprocess.Popen(
            [python, "-c", BACKING_SERVICES],
            cwd=project.path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(services.wait, timeout=60)
        stack.callback(services.stdin.close)
        given = json.loads(services.stdout.readline() or "{}")
        assert given, "the project's harness could not provide the backing services"
        env = {name: str(value) for name, value in spec["web"]["environment"].items()}
        env |= {name: given[name] for name in SERVICE_VARIABLES if name in given}
        env |= {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "PATH": os.environ["PATH"]}

        run(["make", "build"], project.path)  # the image's static files: collectstatic as its build runs it
        release = [python if word == "python" else word for word in spec["release"]["command"]]
        run(release, project.path, env=env)
        create = "from django.contrib.auth.models import User; User.objects.create_user('alice', password=%r)"
        run([python, "manage.py", "shell", "-c", create % PASSWORD], project.path, env=env)

        web_port = free_port()  # the image's command: gunicorn config.wsgi, on loopback here
        web = [str(project.path / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{web_port}"]
        web = started(stack, web, tmp_path / "web.log", cwd=project.path, env={**env, "PORT": str(web_port)})
        wait_until_ready(web_port, web, "the web process")

        folder = Path(tempfile.mkdtemp(prefix="browser-nginx-"))  # nginx's workers (nobody) read it
        folder.chmod(0o755)
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        (config,) = [volume.split(":")[0] for volume in spec["balancer"]["volumes"] if "nginx" in volume]
        site = (project.path / config).read_text()
        assert "web:8000" in site and "listen 80;" in site, "compose's nginx.conf no longer has the expected shape"
        nginx_port = free_port()
        site = site.replace("web:8000", f"127.0.0.1:{web_port}").replace(
            "listen 80;", f"listen 127.0.0.1:{nginx_port};"
        )
        (folder / "site.conf").write_text(site)
        (folder / "nginx.conf").write_text(NGINX.format(folder=folder))
        nginx = started(stack, ["nginx", "-c", str(folder / "nginx.conf")], tmp_path / "nginx.log")
        wait_until_ready(nginx_port, nginx, "nginx")

        (published,) = spec["balancer"]["ports"]  # 127.0.0.1:8080:80
        port = published.split(":")[-2]
        yield [f"http://localhost:{port}", f"http://127.0.0.1:{port}"], nginx_port


def submit(page):
    """Clicks the form's button: the status of the POST it sends (a form accepted redirects: 302)."""
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.click("button[type=submit]")
    page.wait_for_load_state()
    return posted.value.status


def log_in_upload_and_download(browser, origin, content):
    """What a visitor at ``origin`` does: logs in, uploads ``content`` and downloads it again. Returns
    the bytes downloaded and the cookies the browser kept."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{origin}/accounts/login/?next=/documents/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    assert submit(page) == 302, f"login at {origin} refused (403: the origin is not trusted for CSRF)"
    name = f"notes-{secrets.token_hex(4)}.txt"
    page.set_input_files("input[type=file]", {"name": name, "mimeType": "text/plain", "buffer": content})
    assert submit(page) == 302, f"upload at {origin} refused"
    with page.expect_download() as downloading:
        page.click(f"text={name}")
    downloaded = Path(downloading.value.path()).read_bytes()
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    context.close()
    return downloaded, cookies


@pytest.mark.parametrize("project", ["default-py3.11", "session_store=redis+db-py3.11"], indirect=True)
def test_a_browser_logs_in_uploads_and_downloads_through_the_compose_balancer(compose):
    origins, balancer = compose
    content = secrets.token_bytes(64)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, proxy={"server": f"http://127.0.0.1:{balancer}"}
        )
        try:
            for origin in origins:
                downloaded, cookies = log_in_upload_and_download(browser, origin, content)
                assert downloaded == content, origin
                assert {"sessionid", "csrftoken"} <= set(cookies), cookies
                # Safari keeps no Secure cookie over plain http, even from localhost
                assert [name for name, cookie in cookies.items() if cookie["secure"]] == [], origin
        finally:
            browser.close()
