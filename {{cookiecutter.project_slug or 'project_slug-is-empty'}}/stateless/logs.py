"""Log lines: one JSON object per line on stdout in production, each with the request id.

The id is set by stateless.middleware.RequestIdAndProbesMiddleware for the length of a request.
"""

import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as json_string  # quoted and escaped, in C

from django.core.signals import request_finished
from django.dispatch import receiver
from gunicorn.glogging import Logger

request_id = ContextVar("request_id", default="-")
REQUEST_ID_KEY = "stateless.request_id"  # where the request's environ keeps it, for the access line


@receiver(request_finished)
def forget_the_request_id(**kwargs):
    request_id.set("-")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = getattr(record, "request_id", None) or request_id.get()
        return True


class ShortWarning(logging.Filter):
    """Makes a record one short warning: no traceback, the message cut to 200 characters. For the
    refusals of bad requests (django.security.DisallowedHost): the client's text, of any length, and
    no fault of ours."""

    def filter(self, record):
        message = record.getMessage()
        record.msg, record.args = (f"{message[:200]}..." if len(message) > 200 else message), ()
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class JsonAccessLogger(Logger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's access log as one JSON line per request, written directly (see gunicorn.conf.py).

    gunicorn prepares each access line by copying every request header, response header and environ
    variable into a dict and passing it through the logging module, and json.dumps of a dict costs
    more again: for a small request, as much as a sixth of what Django spent on it. This writes the
    line from the few values it needs.
    """

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        method, path, status = environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), resp.status_code
        milliseconds = request_time.seconds * 1000 + request_time.microseconds // 1000
        fields = (
            f'"time": "{timestamp()}", "level": "INFO", "logger": "gunicorn.access", '
            f'"message": {json_string(f"{method} {path} {status}")}, '
            f'"request_id": {json_string(environ.get(REQUEST_ID_KEY, "-"))}, '
            f'"remote_addr": {json_string(environ.get("REMOTE_ADDR", "-"))}, "method": {json_string(method)}, '
            f'"path": {json_string(path)}, "query": {json_string(environ.get("QUERY_STRING", ""))}, '
            f'"status": "{status}", "bytes": {resp.sent or 0}, "duration_ms": {milliseconds}, '
            f'"user_agent": {json_string(environ.get("HTTP_USER_AGENT", "-"))}'
        )
        # One write of the whole line to the file descriptor: no buffer to flush, and lines of up to
        # PIPE_BUF (4 KiB) bytes never interleave, whichever thread or process writes them.
        os.write(sys.stdout.fileno(), ("{" + fields + "}\n").encode())


this_second: tuple[int | None, str] = (None, "")


def timestamp(now=None):
    """ISO 8601 in UTC, with milliseconds; the part up to the second is formatted once a second."""
    global this_second
    now = time.time() if now is None else now
    second, formatted = this_second
    if int(now) != second:
        second = int(now)
        formatted = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        this_second = second, formatted
    return f"{formatted}.{int(now * 1000) % 1000:03d}+00:00"
