"""Bad requests, sent over HTTP to the Procfile's web process: refused with a 4xx by configured
limits, never a 500, and a forged session cookie gets a fresh anonymous session."""

import socket

import pytest
from django.conf import settings


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
