"""Every request has an id: the caller's, or a new one; it is returned and in every log line."""

import io
import json
import logging
import runpy
from datetime import timedelta
from types import SimpleNamespace

from django.http import HttpResponse
from django.test import RequestFactory

from config.logs import JsonFormatter, RequestIdFilter, RequestIdMiddleware
from tests.conftest import PROJECT_DIR


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


def test_the_access_logger_writes_the_fields_json_formatter_makes_of_gunicorns_record(capsys):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from config.access_log import JsonAccessLogger

    cfg = Config()
    for name, value in runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py")).items():
        if name in ("accesslog", "access_log_format"):
            cfg.set(name, value)
    response = SimpleNamespace(
        status="200 OK", sent=2, headers=[("Content-Type", "text/plain"), ("X-Request-ID", "req-7")]
    )
    request = SimpleNamespace(headers=[("HOST", "localhost"), ("USER-AGENT", "probe/1")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/page?x=1",
        "PATH_INFO": "/page",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_USER_AGENT": "probe/1",
        "HTTP_HOST": "localhost",
    }
    took = timedelta(milliseconds=12)

    loggers = [logging.getLogger(name) for name in ("gunicorn.access", "gunicorn.error")]
    handlers, records = [list(logger.handlers) for logger in loggers], io.StringIO()
    try:
        gunicorns = Logger(cfg)  # its handlers are replaced by the production formatter, as logconfig_dict does
        formatted = logging.StreamHandler(records)
        formatted.setFormatter(JsonFormatter())
        gunicorns.access_log.handlers = [formatted]
        gunicorns.access(response, request, environ, took)
        ours = JsonAccessLogger(cfg)
        ours.access(response, request, environ, took)
    finally:
        for logger, kept in zip(loggers, handlers, strict=True):
            logger.handlers = kept

    expected, written = json.loads(records.getvalue()), json.loads(capsys.readouterr().out)
    assert written.pop("time") and expected.pop("time")
    assert written == expected
    assert written["request_id"] == "req-7"
    assert written["status"] == "200"
    assert written["duration_ms"] == 12
