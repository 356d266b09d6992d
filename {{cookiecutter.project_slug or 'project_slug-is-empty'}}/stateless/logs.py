"""Log lines: one JSON object per line on stdout in production, each with the request id.

The id is set by stateless.middleware.RequestIdMiddleware for the length of a request.
"""

import json
import logging
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime

from gunicorn.glogging import Logger

request_id = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = getattr(record, "request_id", None) or request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class JsonAccessLogger(Logger):
    """gunicorn's access log as JSON lines, written directly (see gunicorn.conf.py).

    gunicorn prepares every access line by copying all request headers, response headers and environ
    variables into a dict, then passes it through the logging module; for a small request that cost as
    much as half of what Django spent on it. This writes one line from the few values it needs.
    """

    lock = threading.Lock()  # one whole line at a time, whatever the worker class

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        status = str(resp.status).split(None, 1)[0]
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO")
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{method} {path} {status}",
            "request_id": next((value for name, value in resp.headers if name.lower() == "x-request-id"), None),
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING"),
            "status": status,
            "bytes": resp.sent,
            "duration_ms": request_time.seconds * 1000 + request_time.microseconds // 1000,
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
        }
        text = json.dumps(line) + "\n"
        with self.lock:
            sys.stdout.write(text)
            sys.stdout.flush()
