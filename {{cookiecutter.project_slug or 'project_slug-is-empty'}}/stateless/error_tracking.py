"""Errors and slow requests to Sentry; imported by config/settings.py only when SENTRY_DSN is set.

- Every event carries the request id (stateless/logs.py) as the tag ``request_id``: the same id as
  the request's log lines and its ``X-Request-ID`` response header.
- No personal data: no user, no IP address, no cookies, no request bodies (``send_default_pii`` off,
  bodies never sent). Sentry's scrubber also removes values named like passwords and tokens.
- Slow requests: a share of requests (SENTRY_TRACES_SAMPLE_RATE) is traced, with its database, cache
  and storage calls. Sentry computes the percentiles from them and says which requests are slow, and
  its alerts decide what "slow" means, so that a threshold changes there, without a deploy. Keeping only
  the traces above a threshold of ours instead would trace every request and skew those percentiles.
- A backing-service outage, which every request sees (a 503, stateless/errors.py), is reported once,
  on the first failure, not once per request: see ``OutageReports``.
"""

import threading
import time
import tomllib
from pathlib import Path

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from stateless.errors import outage_service
from stateless.logs import request_id

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


class OutageReports:
    """Lets through the first report of a backing service's outage, and another only once that service
    has gone ``quiet_seconds`` without failing a request: a new outage.

    The memory of it is this worker process's own, so each worker reports an outage once (a process of
    WEB_CONCURRENCY workers: at most that many reports), whatever the number of requests it failed. No
    report is shared truth: an outage is a fact of the service, seen by every process at once, and the
    only places to share "already reported" are the backing services, one of which is down. Sentry
    groups the reports of every process into one issue by their fingerprint, the service's name."""

    def __init__(self, quiet_seconds=60):
        self.quiet_seconds = quiet_seconds
        self.last_failure = {}  # service: time.monotonic() of its last failed request
        self.lock = threading.Lock()  # gunicorn's threads report side by side

    def first_of_outage(self, service):
        now = time.monotonic()
        with self.lock:
            last, self.last_failure[service] = self.last_failure.get(service), now
        return last is None or now - last > self.quiet_seconds


outage_reports = OutageReports()


def before_send(event, hint):
    """Tags the event with the request id; reports each outage once."""
    tag_with_request_id(event)
    error = hint.get("exc_info", (None, None, None))[1]
    if service := outage_service(error):
        if not outage_reports.first_of_outage(service):
            return None
        event["fingerprint"] = ["backing-service-outage", service]
        event.setdefault("tags", {})["outage"] = service
    return event


def tag_with_request_id(event, hint=None):
    if (current := request_id.get()) != "-":
        event.setdefault("tags", {})["request_id"] = current
    return event


def release():
    """``<project>@<version>`` from pyproject.toml, when SENTRY_RELEASE does not name one."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return f"{project['name']}@{project['version']}"


def start(dsn, environment, release, traces_sample_rate):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration()],
        before_send=before_send,
        before_send_transaction=tag_with_request_id,
    )
