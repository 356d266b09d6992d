"""The project's URLs plus probe views for the guarantees; served only by tests/harness/probe_settings.py.

Every probe answers JSON with the PID of the worker that served it, so that a test can tell which
process and worker answered.
"""

import os
import time

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config import urls as project_urls
{%- if cookiecutter.worker == "celery" %}
from tests.harness.tasks import remember
{%- endif %}


def answer(request, **data):
    return JsonResponse({"pid": os.getpid(), "user": request.user.get_username() or None, **data})


def whoami(request):
    return answer(request)


def count(request):
    request.session["count"] = request.session.get("count", 0) + 1
    return answer(request, count=request.session["count"])


@csrf_exempt
def cached(request, key):
    if request.method == "PUT":
        cache.set(key, request.body.decode(), timeout=60)
    return answer(request, value=cache.get(key))


@csrf_exempt
def upload(request, name):
    return answer(request, name=default_storage.save(f"probe/{name}", ContentFile(request.body)))


def download(request, name):
    with default_storage.open(name) as stored:
        return HttpResponse(stored.read(), content_type="application/octet-stream")


def database(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return answer(request)


def fail(request):
    raise RuntimeError("a probe view failed")


def slow(request, seconds):
    time.sleep(seconds)
    return answer(request)


{%- if cookiecutter.worker == "celery" %}


def enqueue(request, key, seconds):
    remember.delay(key, seconds)
    return answer(request, key=key)
{%- endif %}


handler500 = project_urls.handler500
urlpatterns = [
    *project_urls.urlpatterns,
    path("probe/whoami", whoami),
    path("probe/count", count),
    path("probe/cache/<str:key>", cached),
    path("probe/upload/<str:name>", upload),
    path("probe/download/<path:name>", download),
    path("probe/database", database),
    path("probe/slow/<int:seconds>", slow),
{%- if cookiecutter.worker == "celery" %}
    path("probe/enqueue/<str:key>/<int:seconds>", enqueue),
{%- endif %}
    path("probe/fail", fail),
]
