"""Request bodies above MAX_REQUEST_BODY_MB are refused with 413 before anything reads them.

Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it spools to
a temporary file of any size. A body without a length (chunked) is refused with 411, since its size
is only known after it has been read."""

from django.conf import settings
from django.http import HttpResponse


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return HttpResponse("A request body needs a Content-Length.", status=411)
        if length.isdigit() and int(length) > settings.MAX_REQUEST_BODY_MB * 1024 * 1024:
            return HttpResponse(f"Request bodies are limited to {settings.MAX_REQUEST_BODY_MB} MB.", status=413)
        return self.get_response(request)
