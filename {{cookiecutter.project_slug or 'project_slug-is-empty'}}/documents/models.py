from django.conf import settings
from django.db import models


def upload_path(document, filename):
    return f"documents/{document.owner_id}/{filename}"


class Document(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=upload_path)
    name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)
{%- if cookiecutter.worker == "celery" %}
    sha256 = models.CharField(max_length=64, blank=True)  # hex digest, stored by the worker; empty until then
{%- endif %}

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.name
