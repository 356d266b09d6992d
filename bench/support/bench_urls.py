"""The benchmark's probe views, in front of the project's own URLs (ROOT_URLCONF of bench_settings).

  /__bench__/plain/          touches nothing: what the middleware and the URL resolver cost
  /__bench__/session/        writes the session on every request: a counter, kept in the session
  /__bench__/session-read/   writes the session once, on a client's first request (as a login does),
                             and afterwards only reads it: the common case of an authenticated page

The body of both session views is the client's counter, which must rise by exactly one per request
of that client; the load (bench/load.lua) and the benchmark's own sequential check read it. A
session that was lost starts its client over at 1. Each answer sets at most one cookie, since wrk
keeps only one Set-Cookie header of an answer. Both echo the X-Bench-Client header, by which the
load attributes each answer to the client that sent the request.
"""

from importlib import import_module

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

CLIENT_HEADER = "X-Bench-Client"
COUNTER_COOKIE = "bench_n"  # the read view's counter: in a cookie of its own, so the session is never written again
LOGGED_IN = {  # what django.contrib.auth.login() keeps in a session
    "_auth_user_id": "1",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": "0" * 64,
}


def counter_answer(request, count):
    response = HttpResponse(str(count).encode(), content_type="text/plain")
    if CLIENT_HEADER in request.headers:
        response[CLIENT_HEADER] = request.headers[CLIENT_HEADER]
    return response


def plain(request):
    return HttpResponse(b"ok", content_type="text/plain")


def session_write(request):
    count = request.session.get("bench_count", 0) + 1
    request.session["bench_count"] = count  # modified: the session middleware saves it and sets its cookie
    return counter_answer(request, count)


def session_read(request):
    session = request.session
    if session.get("_auth_user_id") is None:  # first request of this client: the one session write
        session.update(LOGGED_IN)
        return counter_answer(request, 1)
    response = counter_answer(request, int(request.COOKIES.get(COUNTER_COOKIE, "1")) + 1)
    response.set_cookie(COUNTER_COOKIE, response.content.decode())
    return response


urlpatterns = [
    path("__bench__/plain/", plain),
    path("__bench__/session/", session_write),
    path("__bench__/session-read/", session_read),
    *import_module(settings.BENCH_PROJECT_URLCONF).urlpatterns,
]
