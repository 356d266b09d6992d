"""Every request has an id: the caller's, or a new one; it is returned and in every log line."""

import json
import logging

from django.http import HttpResponse
from django.test import RequestFactory

from config.logs import JsonFormatter, RequestIdFilter, RequestIdMiddleware


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
