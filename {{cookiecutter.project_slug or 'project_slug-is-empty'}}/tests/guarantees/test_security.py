"""Production is secure by default: Django's deployment checks pass with nothing silenced; the real
web process sends the security headers and cookie attributes, and refuses bad requests with a 4xx
(never a 500); a forged session cookie gets a fresh anonymous session."""

import socket

import pytest
from django.conf import settings

from tests.harness.processes import run_project


def test_deployment_checks_pass_with_nothing_silenced(production_env):
    result = run_project("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(0 silenced)" in result.stdout
    assert not settings.SILENCED_SYSTEM_CHECKS


CONTENT_SECURITY_POLICY = {
    "default-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
}


def test_pages_carry_the_security_headers_over_http(visitor):
    response = visitor.get("/accounts/login/")
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    directives = {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}
    assert directives == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/accounts/login/?next=/x"])
def test_plain_http_is_redirected_to_https_unless_the_proxy_says_https(web, path):
    response = web.get(path, {"Host": "localhost"})
    assert response.status == 301
    assert response.headers["Location"] == f"https://localhost{path}"
    assert web.get(path, {"Host": "localhost", "X-Forwarded-Proto": "https"}).status == 200


def test_a_policy_with_nonces_gets_the_nonce_the_page_used(settings):
    from csp.constants import NONCE, SELF
    from django.http import HttpResponse
    from django.test import RequestFactory

    from stateless.middleware import ContentSecurityPolicyMiddleware

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(str(request.csp_nonce)))(
        RequestFactory().get("/")
    )
    assert f"'nonce-{response.content.decode()}'" in response["Content-Security-Policy"]


def test_a_view_may_still_change_the_content_security_policy():
    from csp.decorators import csp_update
    from django.http import HttpResponse
    from django.test import RequestFactory

    from stateless.middleware import ContentSecurityPolicyMiddleware

    @csp_update({"img-src": ["data:"]})
    def view(request):
        return HttpResponse()

    plain = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))
    changed = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert "img-src" not in plain["Content-Security-Policy"]
    assert "img-src data:" in changed["Content-Security-Policy"]
    assert "default-src 'self'" in changed["Content-Security-Policy"]


def test_the_session_cookie_is_secure_httponly_and_samesite_lax(visitor):
    response = visitor.get("/probe/count")
    cookie = next(header for header in response.headers.get_all("Set-Cookie") if header.startswith("sessionid="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes
    assert "SameSite=Lax" in cookie


def raw_request(web, head):
    """Send a request head as written, body or none, and return the status line."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n")
        return connection.recv(4096).decode(errors="replace").splitlines()[0]


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(web):
    length = settings.MAX_REQUEST_BODY_MB * 1024 * 1024 + 1  # announced, never sent
    head = f"POST /probe/upload/big.bin HTTP/1.1\nHost: localhost\nX-Forwarded-Proto: https\nContent-Length: {length}"
    assert raw_request(web, head).startswith("HTTP/1.1 413")


def test_a_body_without_a_length_is_refused_with_411(web):
    head = "POST /probe/upload/big.bin HTTP/1.1\nHost: localhost\nX-Forwarded-Proto: https\nTransfer-Encoding: chunked"
    assert raw_request(web, head).startswith("HTTP/1.1 411")


def test_a_form_over_the_field_size_limit_is_refused_with_400(visitor):
    visitor.get("/accounts/login/")
    too_big = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    response = visitor.post_form("/accounts/login/", {"username": "x" * too_big, "password": "y"})
    assert response.status == 400


def test_a_form_with_too_many_fields_is_refused_with_400(visitor):
    visitor.get("/accounts/login/")
    fields = {f"field{number}": "x" for number in range(1100)}
    assert visitor.post_form("/accounts/login/", fields).status == 400


@pytest.mark.parametrize("cookie", ["forged0000000000000000000000000000", "short", "../../etc/passwd", "x" * 4000])
def test_a_forged_session_cookie_gets_a_fresh_anonymous_session(visitor, cookie):
    visitor.cookies["sessionid"] = cookie
    answer = visitor.get("/probe/count")
    assert answer.status == 200
    assert answer.json() == {"pid": answer.json()["pid"], "user": None, "count": 1}
    assert visitor.cookies["sessionid"] != cookie


def test_a_tampered_session_key_is_a_stranger(visitor, django_user_model):
    django_user_model.objects.create_user("tamper", password="a-long-password-to-tamper")
    visitor.log_in("tamper", "a-long-password-to-tamper")
    key = visitor.cookies["sessionid"]
    assert visitor.get("/probe/whoami").json()["user"] == "tamper"
    visitor.cookies["sessionid"] = key[:-1] + ("a" if key[-1] != "a" else "b")
    assert visitor.get("/probe/whoami").json()["user"] is None


def test_a_bad_host_gets_400_and_is_logged_not_a_500(web):
    response = web.get("/", {"Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert response.status == 400
    log = web.log.read_text()
    assert "Invalid HTTP_HOST header: 'evil.example'" in log
    assert '"status": "500"' not in log
