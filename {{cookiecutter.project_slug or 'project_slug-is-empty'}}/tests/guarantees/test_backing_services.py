"""Each backing service is the real one, reached over the network: PostgreSQL from DATABASE_URL, the
cache in Redis, media in the bucket (private, signed, never overwritten)."""

import json
import secrets
from typing import cast
from urllib.request import urlopen

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django_redis import get_redis_connection

from stateless.storage import MediaStorage
from tests.harness.sessions import pickle_that_creates


def test_the_database_is_postgresql_from_database_url(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["NAME"]


def test_the_cache_is_shared_through_redis_with_its_timeout():
    name, value = f"probe-{secrets.token_hex(4)}", secrets.token_hex(8)
    cache.set(name, value, timeout=30)
    redis, key = get_redis_connection("default"), cache.make_key(name)
    assert 0 < redis.ttl(key) <= 30
    assert cache.get(name) == value
    cache.delete(name)
    assert not redis.exists(key)


def test_the_cache_keeps_json_and_never_unpickles_what_it_finds_in_redis(tmp_path):
    name, marker = f"probe-{secrets.token_hex(4)}", tmp_path / "unpickled"
    redis, key = get_redis_connection("default"), cache.make_key(name)
    cache.set(name, {"ids": [1, 2], "name": "x"}, timeout=30)
    assert json.loads(redis.get(key)) == {"ids": [1, 2], "name": "x"}
    redis.set(key, pickle_that_creates(marker), ex=30)  # written by whoever can reach Redis
    try:
        value = cache.get(name)
    except ValueError:
        value = "refused: not JSON"
    assert not marker.exists(), "the cache unpickled a value it found in Redis: code execution"
    assert value == "refused: not JSON"


def test_a_file_is_uploaded_read_and_deleted_on_the_bucket():
    content = secrets.token_bytes(2048)
    name = default_storage.save(f"tests/{secrets.token_hex(4)}.bin", ContentFile(content))
    assert cast(MediaStorage, default_storage).bucket.Object(name).get()["Body"].read() == content
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


def test_objects_are_private_reached_through_signed_urls_and_downloaded_never_rendered():
    page = b"<script>document.title = 'a user may upload this'</script>"
    name = default_storage.save(f"tests/{secrets.token_hex(4)}.html", ContentFile(page))
    grants = cast(MediaStorage, default_storage).bucket.Object(name).Acl().grants
    assert not [grant for grant in grants if "AllUsers" in str(grant["Grantee"].get("URI", ""))]
    url = default_storage.url(name)
    assert "X-Amz-Signature=" in url
    with urlopen(url, timeout=5) as response:
        assert response.read() == page
        assert response.headers["Content-Disposition"].startswith("attachment")
