"""The middleware of every request: its id, the health probes, and the limit on request bodies."""

import re
import secrets
from typing import cast

from csp.constants import HEADER, NONCE
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpResponse, HttpResponseBase, JsonResponse

from stateless import health
from stateless.logs import REQUEST_ID_KEY, request_id

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdAndProbesMiddleware:
    """The first middleware of every request.

    It gives the request an id: the caller's ``X-Request-ID`` when it sends a sane one, a new one
    otherwise. The id is returned in the response, attached to every log record written while the
    request runs, and written in gunicorn's access log line.

    It answers the health probes, which come over plain HTTP with whatever Host header the platform
    uses: here, before host validation and the HTTPS redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")  # not request.headers: that copies every header
        request.id = given if given and SANE_REQUEST_ID.fullmatch(given) else secrets.token_hex(16)
        request.META[REQUEST_ID_KEY] = request.id
        request_id.set(request.id)  # until the request has finished: Django logs its errors after this returns
        if request.path == health.LIVENESS_PATH:
            response = JsonResponse({"status": "alive"})
        elif request.path == health.READINESS_PATH:
            response = health.readiness()
        else:
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy built once, at start: django-csp builds it for every
    response, and a lazy nonce for every request, which cost a plain page a fifth of its time. A
    policy with nonces (csp.constants.NONCE), and a response that a view's decorator changed
    (csp_update, csp_replace, csp_exempt, ...), still go through django-csp."""

    async_capable = False  # a plain __call__: under ASGI, Django runs it in a thread
    PER_RESPONSE = {
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
    }

    def __init__(self, get_response):
        super().__init__(get_response)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        nonces = any(NONCE in sources for sources in policy.get("DIRECTIVES", {}).values())
        special = (
            nonces
            or policy.get("EXCLUDE_URL_PREFIXES")
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        )
        self.policy = None if special else build_policy()

    def __call__(self, request):
        if self.policy is None:
            return super().__call__(request)
        response = cast(HttpResponseBase, self.get_response(request))  # a synchronous middleware
        if not self.PER_RESPONSE.isdisjoint(vars(response)) or (settings.DEBUG and response.status_code in (404, 500)):
            return self.process_response(request, response)
        if HEADER not in response and not getattr(response, "_csp_exempt", False):
            response[HEADER] = self.policy
        return response
