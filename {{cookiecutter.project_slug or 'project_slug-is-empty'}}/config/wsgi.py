"""WSGI entry point, run by gunicorn (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn preloads this module in its master process (preload_app): import the URLconf and its
# views here too, so that every worker forked later, a replacement included, serves at once.
get_resolver().url_patterns  # noqa: B018
