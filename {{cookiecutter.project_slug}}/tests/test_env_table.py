"""The README's table of environment variables is the one the settings generate."""

import re

from config import settings
from config.envtable import render
from tests.conftest import PROJECT_DIR


def test_readme_table_matches_the_settings():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert render(settings.VARIABLES) in readme, "README is out of date: run `make env-table`"


def test_every_required_production_variable_is_in_the_table():
    required = {name for name, var in settings.VARIABLES.items() if var.production == "required"}
    assert required == {
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "AWS_STORAGE_BUCKET_NAME",
    }


def test_settings_read_no_variable_outside_the_table():
    source = (PROJECT_DIR / "config" / "settings.py").read_text()
    assert "os.environ[" not in source
    assert "os.getenv" not in source
    read_directly = [method for method in re.findall(r"\benv\.(\w+)\(", source) if method != "seal"]
    assert read_directly == ["str"]  # DJANGO_ENV, which decides the mode before the table is built
