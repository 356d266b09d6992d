"""The 500 handler. A backing service that is down or too slow (PostgreSQL, Redis, S3) makes a 503
with Retry-After instead: the request can succeed in a moment, and clients and load balancers may
retry it. Anything else stays a 500. Both are logged by Django with their traceback.

Also the filter of error reports (debug pages, reports mailed or logged): it hides the settings that
hold credentials, the service URLs included."""

import re
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.views.debug import SafeExceptionReporterFilter
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_PAGE = """<!doctype html>
<title>Temporarily unavailable</title>
<h1>Temporarily unavailable</h1>
<p>A service this site depends on is not answering. Please try again in a few seconds.</p>
"""


def outage_errors():
    """Exception classes that mean "a backing service did not answer", from the clients loaded so far."""
    errors = [OperationalError, InterfaceError]
    if redis := sys.modules.get("redis.exceptions"):
        errors += [redis.ConnectionError, redis.TimeoutError]
    if botocore := sys.modules.get("botocore.exceptions"):
        errors += [botocore.ConnectionError, botocore.HTTPClientError]
    return tuple(errors)


SERVICE_OF_CLIENT = {"django": "database", "psycopg": "database", "redis": "redis", "botocore": "s3"}


def outage_service(error):
    """The backing service that ``error``, or an exception it came from, says is down: "database",
    "redis" or "s3"; None when it is no outage."""
    while error is not None:
        status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if isinstance(error, outage_errors()) or (type(error).__name__ == "ClientError" and status >= 500):
            return SERVICE_OF_CLIENT.get(type(error).__module__.partition(".")[0], "backing service")
        error = error.__cause__ or error.__context__
    return None


def server_error(request):
    if outage_service(sys.exc_info()[1]):
        response = HttpResponse(UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)


class CredentialsFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings named like API, TOKEN, KEY, SECRET, PASS or SIGNATURE. Service URLs
    carry passwords too: DATABASE_URL, REDIS_URL, any other ``*_URL`` or ``*_DSN``, and the caches'
    LOCATION. Hidden whatever DEBUG is, at every depth of a setting."""

    hidden_settings = re.compile(
        f"{SafeExceptionReporterFilter.hidden_settings.pattern}|URL|DSN|LOCATION", flags=re.IGNORECASE
    )
