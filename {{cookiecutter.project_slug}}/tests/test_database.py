"""The database is PostgreSQL from DATABASE_URL, over persistent connections checked before reuse."""

from django.conf import settings
from django.db import connection


def test_the_database_is_postgresql_from_database_url(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["NAME"]


def test_connections_are_persistent_and_health_checked():
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"]["connect_timeout"] <= 5
