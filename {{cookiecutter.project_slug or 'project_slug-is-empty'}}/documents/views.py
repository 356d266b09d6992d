"""Upload files to the bucket and download them again; the session counts this visit's uploads."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from .forms import UploadForm
from .models import Document


@login_required
def index(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        form.instance.name = form.cleaned_data["file"].name
        form.save()
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
