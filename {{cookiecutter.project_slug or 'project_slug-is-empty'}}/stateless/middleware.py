"""The middleware of every request: its id, the health probes, and the limit on request bodies."""

import re
import secrets

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from stateless import health
from stateless.logs import request_id

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdMiddleware:
    """Every request carries an id: the caller's ``X-Request-ID`` when it sends a sane one, a new one
    otherwise. It is returned in the response, attached to every log record written while the
    request runs, and written in gunicorn's access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")  # not request.headers: that copies every header
        request.id = given if SANE_REQUEST_ID.fullmatch(given) else secrets.token_hex(16)
        token = request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class HealthCheckMiddleware:
    """Probes come over plain HTTP with whatever Host header the platform uses, so they are answered
    here, before host validation and the HTTPS redirect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == health.LIVENESS_PATH:
            return JsonResponse({"status": "alive"})
        if request.path == health.READINESS_PATH:
            return health.readiness()
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Request bodies above MAX_REQUEST_BODY_MB are refused with 413 before anything reads them.

    Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it spools to
    a temporary file of any size. A body without a length (chunked) is refused with 411, since its
    size is only known after it has been read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return HttpResponse("A request body needs a Content-Length.", status=411)
        if length.isdigit() and int(length) > settings.MAX_REQUEST_BODY_MB * 1024 * 1024:
            return HttpResponse(f"Request bodies are limited to {settings.MAX_REQUEST_BODY_MB} MB.", status=413)
        return self.get_response(request)
