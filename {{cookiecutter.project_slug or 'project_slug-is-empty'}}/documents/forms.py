from django import forms

from .models import Document


class UploadForm(forms.ModelForm[Document]):
    class Meta:
        model = Document
        fields = ["file"]
