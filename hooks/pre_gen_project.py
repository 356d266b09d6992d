"""Refuse bad answers before anything is generated.

Each bad answer gets one line naming the field, the value and the rule; the exit status is 1 and
cookiecutter removes the half-made project directory.
"""

import json
import keyword
import re
import sys
import zoneinfo

# Modules a generated project imports (or is run by); a project named like one would shadow it.
PROJECT_IMPORTS = {
    "axes",
    "boto3",
    "botocore",
    "brotli",
    "config",
    "dj_database_url",
    "django",
    "django_redis",
    "documents",
    "environs",
    "gunicorn",
    "hiredis",
    "manage",
    "marshmallow",
    "moto",
    "psycopg",
    "pytest",
    "pytest_django",
    "redis",
    "stateless",
    "static",
    "storages",
    "templates",
    "tests",
    "whitenoise",
}
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
    if slug in PROJECT_IMPORTS:
        return "must not shadow a module the generated project imports"
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
