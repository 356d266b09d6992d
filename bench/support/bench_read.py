"""The read-only session scenario, which the load harness does not have.

The harness's session scenario requests /__bench__/session/ and checks that each client's counter,
the body of the answer, rises by exactly one per request. Here that URL goes to a view that writes
the session once, on a client's first request (as a login does), and afterwards only reads it: the
common case of an authenticated page. The counter travels in a cookie of its own, so that the
session is never written again; a session that was not found starts the client over at 1, which
the harness counts as a violation.
"""

import django_bench_urls  # the harness's views: /__bench__/plain/, /__bench__/session-info/, ...
from django.http import HttpResponse
from django.urls import path

COUNTER_COOKIE = "bench_n"
LOGGED_IN = {  # what django.contrib.auth.login() keeps in a session
    "_auth_user_id": "1",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": "0" * 64,
}


def read_only_session(request):
    session = request.session
    if session.get("_auth_user_id") is None:  # first request of this client: the one session write
        session.update(LOGGED_IN)
        count = 1
    else:
        count = int(request.COOKIES.get(COUNTER_COOKIE, "1")) + 1
    response = HttpResponse(str(count).encode(), content_type="text/plain")
    if count > 1:  # one Set-Cookie per answer: the harness keeps only one
        response.set_cookie(COUNTER_COOKIE, str(count))
    if "X-Bench-Client" in request.headers:
        response["X-Bench-Client"] = request.headers["X-Bench-Client"]
    return response


urlpatterns = [path("__bench__/session/", read_only_session), *django_bench_urls.urlpatterns]


def route_to_read_only_session_view(get_response):
    def middleware(request):
        request.urlconf = __name__
        return get_response(request)

    return middleware
