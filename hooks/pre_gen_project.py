"""Refuse bad answers before anything is generated.

Each bad answer gets one line naming the field, the value and the rule; the exit status is 1 and
cookiecutter removes the half-made project directory.
"""

import json
import keyword
import re
import sys
import zoneinfo

# The names a project may not take, lest it shadow a module or a package of its own environment.
# Its own top-level modules and folders (documents/ comes with the example app; media/ and staticfiles/
# appear when it runs):
OWN_NAMES = {
    "config",
    "deploy",
    "documents",
    "manage",
    "media",
    "scripts",
    "stateless",
    "static",
    "staticfiles",
    "templates",
    "tests",
}
# Every distribution the generated project installs (its dependencies and the dev extra's, what they pull
# in, its build backend), by name (with _ for - and .) and by top-level import name. A project named like
# one takes its place: named six, it installs itself as six, and python-dateutil (boto3's) finds no six.
# tests/test_prompts.py computes these names from a baked, installed project and names any missing here.
# The hook runs offline and installs nothing, hence a list; names no longer installed may stay.
INSTALLED_NAMES = set(
    """
    aiosmtpd amqp asgiref atpublic attr attrs axes bandit billiard blinker boolean boolean_py boto3 botocore brotli
    cachecontrol celery certifi cffi charset_normalizer click click_didyoumean click_plugins click_repl cryptography
    csp cyclonedx cyclonedx_python_lib dateutil defusedxml dj_database_url dj_email_url django django_axes
    django_csp django_redis django_storages django_stubs django_stubs_ext dotenv environs filelock flask flask_cors
    gunicorn hiredis idna iniconfig itsdangerous jinja2 jmespath kombu librt license_expression markdown_it
    markdown_it_py markupsafe marshmallow mdurl moto msgpack mypy mypy_django_plugin mypy_extensions mypyc
    packageurl packageurl_python packaging packaging_legacy_version pathspec pip pip_api pip_audit
    pip_requirements_parser platformdirs pluggy prompt_toolkit psycopg psycopg_binary public py py_partiql_parser
    py_serializable pycparser pygments pyparsing pytest pytest_django python_dateutil python_dotenv pyyaml redis
    requests responses rich ruff s3transfer sentry_sdk setuptools six sortedcontainers sqlparse stevedore storages
    tomli tomli_w types_pyyaml typing_extensions tzlocal urllib3 uv vine wcwidth werkzeug whitenoise xmltodict yaml
    """.split()  # noqa: SIM905 - a sorted block of words: easier to read and keep than a line per name
)
MAX_SLUG_LENGTH = 40  # PostgreSQL names are limited to 63 bytes; tests add a prefix to the slug.

# Rendered by cookiecutter: every answer, as JSON, so that no answer can break this file.
answers = json.loads(r"""{{ cookiecutter | jsonify }}""")


def slug_problem(slug):
    if not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
        return "must be a lowercase Python identifier: a-z first, then a-z, 0-9 or _"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"must be at most {MAX_SLUG_LENGTH} characters"
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return "must not be a Python keyword"
    if slug in sys.stdlib_module_names or slug == "test":  # the one stdlib package not listed
        return "must not shadow a module of the Python standard library"
    if slug in OWN_NAMES or slug in INSTALLED_NAMES:
        return "must not be the name of a module or package the generated project has or installs"
    return None


def text_problem(value):
    if not value.strip():
        return "must not be empty"
    if any(char in value for char in '"\\') or not value.isprintable():
        return 'must be one line of printable text without " or \\'
    return None


def email_problem(value):
    if not re.fullmatch(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}", value):
        return "must look like an e-mail address (name@example.com)"
    return None


def domain_problem(value):
    label = "[a-z0-9]([a-z0-9-]*[a-z0-9])?"
    if len(value) > 253 or not re.fullmatch(f"({label}\\.)+[a-z]+", value) or len(value.rsplit(".")[-1]) < 2:
        return "must look like a lowercase domain name (example.com), without scheme or path"
    return None


def version_problem(value):
    if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", value):
        return "must be a PEP 440 version such as 0.1.0"
    return None


def time_zone_problem(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return "must be an IANA time zone name such as UTC or Europe/Paris"
    return None


def one_of(*choices):
    def problem(value):
        return None if value in choices else f"must be one of: {', '.join(choices)}"

    return problem


RULES = {
    "project_name": text_problem,
    "project_slug": slug_problem,
    "description": text_problem,
    "author_name": text_problem,
    "email": email_problem,
    "domain_name": domain_problem,
    "version": version_problem,
    "time_zone": time_zone_problem,
    "include_example_app": one_of("yes", "no"),
    "session_store": one_of("redis", "redis+db"),
}


def main():
    problems = 0
    for field, rule in RULES.items():
        value = str(answers.get(field, ""))
        if problem := rule(value):
            print(f"error: {field}={value!r} {problem}", file=sys.stderr)
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
