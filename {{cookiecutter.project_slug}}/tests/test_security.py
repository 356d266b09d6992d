"""Production is secure by default: Django's deployment checks pass with nothing silenced."""

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
