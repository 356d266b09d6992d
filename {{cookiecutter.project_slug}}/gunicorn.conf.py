"""Gunicorn settings. https://docs.gunicorn.org/en/stable/settings.html

Run as ``gunicorn config.wsgi`` from this directory (the Procfile's web process). The environment is
validated once, here, before any worker starts: a bad variable stops the server with one message.
"""

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import settings

bind = [f"0.0.0.0:{settings.PORT}"]
workers = settings.WEB_CONCURRENCY

# A worker silent for `timeout` seconds is killed and replaced. On SIGTERM, requests in flight get
# `graceful_timeout` seconds to finish: less than the 30 s most platforms wait before SIGKILL.
timeout = 30
graceful_timeout = 25
keepalive = 5  # longer than none, shorter than a load balancer's idle timeout (60 s on most)


# Recycle workers now and then, so that a slow leak never takes a process down. Not often: a new worker
# imports the whole project again (over half a second of CPU); every thousand requests, that nearly
# halved the throughput of a busy worker.
max_requests = 20000
max_requests_jitter = 2000

# Heartbeat files on a memory filesystem: /tmp may be a disk, or read-only, in a container.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - private to the worker

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
if settings.PRODUCTION:
    logger_class = "config.access_log.JsonAccessLogger"  # the same JSON access lines, at a quarter of the cost
    logconfig_dict = {
        "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
        "handlers": {  # the names of gunicorn's default handlers, so that its defaults use them too
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def post_worker_init(worker):
    """On SIGTERM a worker stops listening at once, then finishes its request. Without this, a busy
    worker keeps the listening socket open: new connections queue on a process that is leaving and
    are reset when it exits, instead of being refused and sent to another process."""

    def stop_listening_then_exit(signum, frame):
        for listener in worker.sockets:
            listener.close()
        worker.handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, stop_listening_then_exit)
