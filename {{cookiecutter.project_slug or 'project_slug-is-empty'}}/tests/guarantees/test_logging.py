"""Every request has an id: the caller's, or a new one; it is returned, and is in every log line,
which is JSON in production, the access lines included."""

import json
import logging
import time

from django.http import HttpResponse
from django.test import RequestFactory

from stateless.logs import JsonFormatter, RequestIdFilter
from stateless.middleware import RequestIdMiddleware


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

    RequestIdMiddleware(view)(RequestFactory().get("/", headers={"X-Request-ID": "req-42"}))
    line = json.loads(records[0])
    assert line["request_id"] == "req-42"
    assert line["message"] == "uploaded x.txt"
    assert line["level"] == "INFO"


def test_requests_are_logged_as_json_lines_with_their_request_id(web):
    response = web.get("/", {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Request-ID": "trace-7"})
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "trace-7"
    deadline = time.monotonic() + 5  # the access line is written after the answer is sent
    while not (access := access_lines(web, "trace-7")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(access) == 1, web.log.read_text()[-3000:]
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/", "200")
    assert access[0]["duration_ms"] >= 0


def access_lines(web, request_id):
    lines = [json.loads(line) for line in web.log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == request_id]
