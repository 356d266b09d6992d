"""The example app: log in, upload a file, download it again; the session counts the uploads.

These are the team's own tests: they pass with `make test` (real PostgreSQL, Redis and S3) and with
`make test-fast` (the embedded development defaults, in seconds)."""

{% if cookiecutter.worker == "celery" %}import hashlib
{% endif %}import secrets
from importlib import import_module
{%- if cookiecutter.worker == "celery" %}
from unittest import mock
{%- endif %}

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document
{%- if cookiecutter.worker == "celery" %}
from documents.tasks import store_digest
{%- endif %}


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", password="a-long-test-password")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_documents_need_a_login(client, db):
    response = client.get(reverse("documents:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_upload_is_stored_and_downloads_byte_for_byte(logged_in, user):
    content = secrets.token_bytes(4096)
    upload = SimpleUploadedFile("report.bin", content, content_type="application/octet-stream")
    response = logged_in.post(reverse("documents:index"), {"file": upload})
    assert response.status_code == 302
    document = Document.objects.get(owner=user)
    assert document.file.name
    with default_storage.open(document.file.name) as stored:
        assert stored.read() == content
    download = logged_in.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert 'filename="report.bin"' in download["Content-Disposition"]


def test_the_session_counts_uploads(logged_in, user):
    for number in range(2):
        logged_in.post(reverse("documents:index"), {"file": SimpleUploadedFile(f"{number}.txt", b"x")})
    session_key = logged_in.cookies[settings.SESSION_COOKIE_NAME].value
    assert import_module(settings.SESSION_ENGINE).SessionStore(session_key)["uploads"] == 2
    assert b"You uploaded 2 files in this session." in logged_in.get(reverse("documents:index")).content


def test_nobody_downloads_another_users_document(logged_in, user):
    other = get_user_model().objects.create_user("bob", password="another-long-password")
    upload = SimpleUploadedFile("secret.txt", b"bob's")
    document = Document.objects.create(owner=other, name="secret.txt", file=upload)
    assert logged_in.get(reverse("documents:download", args=[document.pk])).status_code == 404


def test_a_document_whose_file_is_gone_is_not_found(logged_in, user):
    logged_in.post(reverse("documents:index"), {"file": SimpleUploadedFile("gone.txt", b"x")})
    document = Document.objects.get(owner=user)
    assert document.file.name
    default_storage.delete(document.file.name)
    assert logged_in.get(reverse("documents:download", args=[document.pk])).status_code == 404
{%- if cookiecutter.worker == "celery" %}


def test_an_upload_queues_its_digest_by_id_once_committed(logged_in, user, django_capture_on_commit_callbacks):
    with mock.patch.object(store_digest, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        logged_in.post(reverse("documents:index"), {"file": SimpleUploadedFile("a.txt", b"x")})
    delay.assert_called_once_with(Document.objects.get(owner=user).pk)


def test_the_page_shows_the_digest_the_task_stores_and_pending_before(logged_in, user):
    content = secrets.token_bytes(100_000)
    logged_in.post(reverse("documents:index"), {"file": SimpleUploadedFile("big.bin", content)})
    document = Document.objects.get(owner=user)
    assert b"<code>pending</code>" in logged_in.get(reverse("documents:index")).content
    store_digest(document.pk)
    store_digest(document.pk)  # run again (its worker died after storing it): the same digest
    digest = hashlib.sha256(content).hexdigest()
    assert Document.objects.get(pk=document.pk).sha256 == digest
    assert f"<code>{digest}</code>".encode() in logged_in.get(reverse("documents:index")).content
{%- endif %}
