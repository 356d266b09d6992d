"""Upload files to the bucket and download them again; the session counts this visit's uploads.{% if cookiecutter.worker == "celery" %}
The worker stores each file's SHA-256 (documents/tasks.py).{% endif %}"""

from django.contrib.auth.decorators import login_required
{%- if cookiecutter.worker == "celery" %}
from django.db import transaction
{%- endif %}
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from .forms import UploadForm
from .models import Document
{%- if cookiecutter.worker == "celery" %}
from .tasks import store_digest
{%- endif %}


@login_required
def index(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        form.instance.name = form.cleaned_data["file"].name
{%- if cookiecutter.worker == "celery" %}
        document = form.save()
        transaction.on_commit(lambda: store_digest.delay(document.pk))  # once the worker can read the row
{%- else %}
        form.save()
{%- endif %}
        request.session["uploads"] = request.session.get("uploads", 0) + 1
        return redirect("documents:index")
    context = {
        "form": form,
        "documents": request.user.documents.all(),
        "uploads": request.session.get("uploads", 0),
    }
    return render(request, "documents/index.html", context)


@login_required
def download(request, pk):
    document = get_object_or_404(Document, pk=pk, owner=request.user)
    try:
        stored = document.file.open("rb")
    except FileNotFoundError as gone:
        raise Http404("The file is no longer stored.") from gone
    return FileResponse(stored, as_attachment=True, filename=document.name)
