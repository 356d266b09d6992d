"""Uploaded media go to the bucket over the network: private, signed, never overwritten."""

import secrets
from urllib.request import urlopen

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage


def test_media_storage_is_the_s3_bucket_with_bounded_waits():
    assert isinstance(default_storage, S3Storage)
    config = default_storage.client_config
    assert (config.connect_timeout, config.read_timeout, config.retries["max_attempts"]) == (2, 10, 2)
    assert config.s3["addressing_style"] == "path"  # the tests' S3 server is an endpoint of its own


def test_a_file_is_uploaded_read_and_deleted_on_the_bucket(bucket):
    content = secrets.token_bytes(2048)
    name = default_storage.save(f"tests/{secrets.token_hex(4)}.bin", ContentFile(content))
    assert bucket.Object(name).get()["Body"].read() == content
    with default_storage.open(name) as stored:
        assert stored.read() == content
    default_storage.delete(name)
    assert not default_storage.exists(name)


def test_a_second_upload_with_the_same_name_gets_a_new_name():
    name = f"tests/{secrets.token_hex(4)}.txt"
    first = default_storage.save(name, ContentFile(b"first"))
    second = default_storage.save(name, ContentFile(b"second"))
    assert first != second
    assert default_storage.open(first).read() == b"first"


def test_objects_are_private_and_reached_through_signed_urls(bucket):
    name = default_storage.save(f"tests/{secrets.token_hex(4)}.txt", ContentFile(b"signed"))
    grants = bucket.Object(name).Acl().grants
    assert not [grant for grant in grants if "AllUsers" in str(grant["Grantee"].get("URI", ""))]
    url = default_storage.url(name)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    with urlopen(url, timeout=5) as response:
        assert response.read() == b"signed"
