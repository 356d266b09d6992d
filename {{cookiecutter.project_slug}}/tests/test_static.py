"""Static files are compiled at build time, with no secret, and served by whitenoise forever-cached."""

import json

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage


def test_collectstatic_needs_no_environment_at_all(static_build):
    assert "post-processed" in static_build.stdout
    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"]


def test_hashed_static_files_are_served_with_far_future_cache_headers(client, static_build):
    url = staticfiles_storage.url("css/site.css")
    assert url != "/static/css/site.css"  # hashed name from the manifest
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


def test_static_files_are_served_compressed(client, static_build):
    url = staticfiles_storage.url("css/site.css")
    assert client.get(url, headers={"Accept-Encoding": "br"})["Content-Encoding"] == "br"
    assert client.get(url, headers={"Accept-Encoding": "gzip"})["Content-Encoding"] == "gzip"
