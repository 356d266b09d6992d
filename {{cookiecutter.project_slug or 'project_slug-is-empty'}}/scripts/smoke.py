"""Smoke check of a running site: what a user does, through each of the addresses given, in turn.

    SMOKE_USERNAME=smoke SMOKE_PASSWORD=... python3 scripts/smoke.py http://127.0.0.1:8001 http://127.0.0.1:8002

Every address must answer /healthz and /readyz. Then one browser logs in through the first address
and goes on through all of them in turn: the login must hold on each
{%- if cookiecutter.include_example_app == "yes" %}, a file uploaded through one
is listed and downloaded, byte for byte, through the next, and the session's count of uploads rises by
one per upload, whichever process counted. Processes that do not share sessions or files fail it.
{%- else %}. Processes that do not share sessions fail it.
{%- endif %}
Given one balancer's address (compose's nginx), it goes through whichever replica the balancer picks.

The account must exist: `python manage.py createsuperuser --noinput` makes it from
DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD. Requests say `X-Forwarded-Proto: https`, as
the TLS-terminating balancer does (a balancer in front sets its own), and the browser's origin is the
address itself, which DJANGO_CSRF_TRUSTED_ORIGINS must name. Standard library only, so that it runs
wherever Python 3 does. Exit status 0 when everything holds; else the first failure, and 1.
"""

import http.client
import os
{%- if cookiecutter.include_example_app == "yes" %}
import re
import secrets
{%- endif %}
import sys
from http.cookies import SimpleCookie
{%- if cookiecutter.include_example_app == "yes" %}
from itertools import pairwise
{%- endif %}
from urllib.parse import urlencode, urlsplit


class SmokeFailure(Exception):
    pass


def expect(condition, failure):
    if not condition:
        raise SmokeFailure(failure)


class Browser:
    """Keeps its cookies, whatever their Secure flag says, and sends each request to the address given."""

    def __init__(self):
        self.cookies = {}

    def request(self, address, method, path, body=None, headers=None):
        parts = urlsplit(address)
        origin = f"{parts.scheme}://{parts.netloc}"
        headers = {"Host": parts.netloc, "Origin": origin, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, content

    def get(self, address, path):
        """The page, as text."""
        return self.download(address, path).decode(errors="replace")

    def download(self, address, path):
        status, content = self.request(address, "GET", path)
        expect(status == 200, f"GET {address}{path}: {status}, expected 200: {content[:300]!r}")
        return content

    def post(self, address, path, body, content_type):
        status, content = self.request(address, "POST", path, body, {"Content-Type": content_type})
        expect(status == 302, f"POST {address}{path}: {status}, expected a redirect (302): {content[:300]!r}")

    def log_in(self, address, username, password):
        self.get(address, "/accounts/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        self.post(address, "/accounts/login/", urlencode(form), "application/x-www-form-urlencoded")
{%- if cookiecutter.include_example_app == "yes" %}

    def upload(self, address, name, content):
        boundary, token = secrets.token_hex(16), self.cookies["csrftoken"]
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'.encode(),
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        self.post(address, "/documents/", body, f"multipart/form-data; boundary={boundary}")
{%- endif %}


def check(addresses, username, password):
    for address in addresses:
        Browser().get(address, "/healthz")
        Browser().get(address, "/readyz")
        print(f"ok: {address} is alive and ready")
    browser = Browser()
    browser.log_in(addresses[0], username, password)
    turns = [addresses[turn % len(addresses)] for turn in range(max(2, len(addresses)) + 1)]
    for address in turns:
        page = browser.get(address, "/")
        expect(f"Log out {username}" in page, f"{address}: the login did not hold (no 'Log out {username}')")
    print(f"ok: logged in through {addresses[0]}, and still logged in through {', '.join(turns)}")
{%- if cookiecutter.include_example_app == "yes" %}
    for uploads, (here, there) in enumerate(pairwise(turns), start=1):
        name, content = f"smoke-{secrets.token_hex(4)}.txt", secrets.token_bytes(2048)
        browser.upload(here, name, content)
        page = browser.get(there, "/documents/")
        counted = re.search(r"You uploaded (\d+) file", page)
        count = counted and int(counted[1])
        expect(count == uploads, f"{there}: the session counts {count} uploads, expected {uploads}")
        link = re.search(rf'href="(/documents/\d+/download/)">{re.escape(name)}<', page)
        if link is None:
            raise SmokeFailure(f"{there}: {name}, uploaded through {here}, is not listed")
        expect(browser.download(there, link[1]) == content, f"{there}: {name} came back different")
        print(f"ok: uploaded {name} through {here}; listed, downloaded and counted ({uploads}) through {there}")
{%- endif %}


def main():
    addresses = [address.rstrip("/") for address in sys.argv[1:]]
    username, password = os.environ.get("SMOKE_USERNAME", ""), os.environ.get("SMOKE_PASSWORD", "")
    if not addresses or not username or not password:
        sys.exit(__doc__)
    try:
        check(addresses, username, password)
    except (SmokeFailure, OSError, http.client.HTTPException) as failure:
        sys.exit(f"smoke check failed: {failure}")
    print("smoke check passed")


if __name__ == "__main__":
    main()
