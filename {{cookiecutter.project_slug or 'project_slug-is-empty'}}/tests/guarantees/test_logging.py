"""Every request has an id: the caller's, or a new one; it is returned, and is in every log line,
which is JSON in production, the access lines included."""

import json
import logging
import time

from django.http import HttpResponse
from django.test import RequestFactory

from stateless.logs import JsonFormatter, RequestIdFilter
from stateless.middleware import RequestIdAndProbesMiddleware


def test_the_callers_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response["X-Request-ID"] == "abc-123"


def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client):
    generated = client.get("/healthz")["X-Request-ID"]
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})["X-Request-ID"]
    assert len(generated) == 32
    assert len(replaced) == 32
    assert generated != replaced


def test_log_records_written_during_a_request_are_json_with_its_id():
    records = []

    def view(request):
        logger = logging.getLogger("app")
        record = logger.makeRecord("app", logging.INFO, __file__, 1, "uploaded %s", ("x.txt",), None)
        RequestIdFilter().filter(record)
        records.append(JsonFormatter().format(record))
        return HttpResponse()

    RequestIdAndProbesMiddleware(view)(RequestFactory().get("/", headers={"X-Request-ID": "req-42"}))
    line = json.loads(records[0])
    assert line["request_id"] == "req-42"
    assert line["message"] == "uploaded x.txt"
    assert line["level"] == "INFO"


def test_requests_are_logged_as_json_lines_with_their_request_id(web):
    response = web.get("/", {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Request-ID": "trace-7"})
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "trace-7"
    access = access_lines(web, "trace-7")
    assert len(access) == 1, web.log.read_text()[-3000:]
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/", "200")
    assert access[0]["duration_ms"] >= 0


def access_lines(web, request_id):
    return [line for line in lines_of(web, request_id) if line["logger"] == "gunicorn.access"]


def lines_of(web, request_id, at_least=1):
    """The JSON log lines of one request, once its access line is written (the last one)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in web.log.read_text().splitlines() if line.startswith("{")]
        mine = [line for line in lines if line.get("request_id") == request_id]
        if any(line["logger"] == "gunicorn.access" for line in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


def test_every_line_of_a_request_carries_its_id_also_those_django_writes_after_the_middleware(web):
    web.get("/no/such/page", {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Request-ID": "lost-1"})
    loggers = [line["logger"] for line in lines_of(web, "lost-1")]
    assert loggers == ["django.request", "gunicorn.access"], loggers  # "Not Found: /no/such/page"
    unlabelled = [line for line in lines_of(web, "-") if "/no/such/page" in line["message"]]
    assert unlabelled == []


def test_a_bad_host_is_one_short_warning_without_a_traceback(web):
    host = "evil-" + "x" * 4000 + ".example"
    response = web.get("/", {"Host": host, "X-Forwarded-Proto": "https", "X-Request-ID": "bad-host-1"})
    assert response.status == 400
    lines = [line for line in lines_of(web, "bad-host-1") if line["logger"] != "gunicorn.access"]
    assert [line["level"] for line in lines if line["logger"] == "django.security.DisallowedHost"] == ["WARNING"]
    assert all(len(json.dumps(line)) < 1000 and "exception" not in line for line in lines), lines


def test_an_access_line_stays_json_whatever_the_request_carries(web):
    path, agent = "/nowhere/%22quoted%22/%5Cback/caf%C3%A9", 'agent "007" \\ \u00e9'
    web.get(path, {"Host": "localhost", "X-Request-ID": "odd-1", "User-Agent": agent.encode().decode("latin-1")})
    access = access_lines(web, "odd-1")
    assert len(access) == 1, web.log.read_text()[-3000:]
    assert access[0]["path"] == '/nowhere/"quoted"/\\back/caf\u00e9'
    assert access[0]["user_agent"] == agent.encode().decode("latin-1")
