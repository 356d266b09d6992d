"""Gunicorn settings. https://docs.gunicorn.org/en/stable/settings.html

Run as ``gunicorn config.wsgi`` from this directory (the Procfile's web process). The environment is
validated once, here, before any worker starts: a bad variable stops the server with one message.
"""

import os
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


# The application is loaded once, in the master, before workers are forked: a worker that replaces
# one that died, timed out or was recycled serves within a second instead of importing everything.
preload_app = True

# Recycle workers now and then, so that a slow leak never takes a process down; not often, since a
# new worker starts with cold connections.
max_requests = 20000
max_requests_jitter = 2000

# Heartbeat files on a memory filesystem: /tmp may be a disk, or read-only, in a container.
# Each worker's file there is its own, so the shared-temp-directory warning does not apply.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108  # nosec B108

# No control socket (gunicorn 25 and later open one under $HOME/.gunicorn/ by default): nothing here
# uses it, the image's home and root filesystem are not writable, and two instances on one host would
# take over each other's socket. Older gunicorn versions ignore the name.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
logger_class = "stateless.logs.JsonAccessLogger"  # JSON access lines at a quarter of gunicorn's cost
if settings.PRODUCTION:
    logconfig_dict = {
        "formatters": {"json": {"()": "stateless.logs.JsonFormatter"}},
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


def when_ready(server):
    """Once the first workers serve, the master loads what a request loads late (the Redis client), so
    that a worker forked later to replace one starts warm, without slowing the first start."""
    import redis  # noqa: F401


def worker_abort(worker):
    """A worker past its timeout leaves at once, skipping the usual clean-up (its request is lost
    anyway), so that the master starts its replacement about a second sooner."""
    os._exit(1)
