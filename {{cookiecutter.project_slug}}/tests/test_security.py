"""Production is secure by default: Django's deployment checks pass with nothing silenced, and
the responses of the real web process carry the security headers and cookie attributes."""

from importlib import import_module

import pytest
from django.conf import settings

from tests.conftest import run_project


def test_deployment_checks_pass_with_nothing_silenced(production_env):
    result = run_project("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(0 silenced)" in result.stdout
    assert not settings.SILENCED_SYSTEM_CHECKS


def test_plain_http_is_redirected_to_https(db):
    from django.test import Client

    response = Client().get("/", headers={"X-Forwarded-Proto": "http"})
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


def test_https_responses_carry_strict_transport_security(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_cookies_are_secure_and_tls_is_recognised_behind_the_proxy():
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert not settings.DEBUG


def test_a_request_for_an_unknown_host_is_refused_with_400(client, db):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


# --- Over HTTP, against the Procfile's web process ------------------------------------------------

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


def test_the_session_cookie_is_secure_httponly_and_samesite_lax(visitor):
    response = visitor.get("/probe/count")
    cookie = next(header for header in response.headers.get_all("Set-Cookie") if header.startswith("sessionid="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes
    assert "SameSite=Lax" in cookie


def test_the_session_key_changes_at_login_and_is_deleted_at_logout(visitor, django_user_model):
    django_user_model.objects.create_user("keys", password="a-long-password-for-keys")
    visitor.get("/probe/count")
    anonymous = visitor.cookies["sessionid"]
    visitor.log_in("keys", "a-long-password-for-keys")
    logged_in = visitor.cookies["sessionid"]
    assert logged_in != anonymous
    assert not session_exists(anonymous)
    assert session_exists(logged_in)
    assert visitor.post_form("/accounts/logout/", {}).status == 302
    assert not session_exists(logged_in)


def session_exists(key):
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)
