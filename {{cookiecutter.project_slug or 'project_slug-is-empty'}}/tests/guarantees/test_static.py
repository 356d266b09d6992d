"""Static files are compiled at build time, with no secret, and served by whitenoise forever-cached."""

import json

import pytest
from django.conf import settings


@pytest.fixture
def site_css_url():
    # Imported here, not at collection time, when pytest's look at a module would load the manifest
    # before the build wrote it.
    from django.contrib.staticfiles.storage import staticfiles_storage

    return staticfiles_storage.url("css/site.css")


def test_collectstatic_needs_no_environment_at_all(static_build):
    assert "post-processed" in static_build.stdout
    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"]


def test_hashed_static_files_are_served_with_far_future_cache_headers(client, site_css_url):
    assert site_css_url != "/static/css/site.css"  # hashed name from the manifest
    response = client.get(site_css_url)
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


def test_static_files_are_served_compressed(client, site_css_url):
    assert client.get(site_css_url, headers={"Accept-Encoding": "br"})["Content-Encoding"] == "br"
    assert client.get(site_css_url, headers={"Accept-Encoding": "gzip"})["Content-Encoding"] == "gzip"
