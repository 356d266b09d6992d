"""Reading the settings from the environment, as config/settings.py does.

Every variable is read once, through ``Environment.variable()``, which records it for the README's
table (``manage.py envtable``). Problems are collected, not raised: ``seal()`` stops the process
with one message that lists all of them, and no traceback.

DJANGO_ENV selects the mode:
- production (the default): every secret and backing service must be given; nothing has a default.
- development: each missing backing service falls back to something embedded (SQLite file, process
  memory, local disk), which is convenient and NOT stateless.
- build: used by ``manage.py collectstatic`` at image build time; needs no secret and no service.
"""

import sys
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from environs import Env, EnvValidationError, ValidationError
from environs import validate as rules

MODES = ("production", "development", "build")
REQUIRED = "required"  # the production "default" of a variable that must be set


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    production: Any
    development: Any


class Environment:
    def __init__(self):
        self.env = Env(eager=False)  # collect every problem; report them together when sealed
        self.mode = self.env.str("DJANGO_ENV", "production", validate=rules.OneOf(MODES))
        self.production = self.mode not in ("development", "build")  # an invalid mode gets production's rules
        self.variables = {
            "DJANGO_ENV": Variable(
                "DJANGO_ENV", "`production`, `development` or `build` (see above).", "production", "development"
            )
        }

    def variable(self, name, meaning, parse="str", *, default=REQUIRED, development=REQUIRED, **options):
        """Read one variable (``parse`` names an environs parser) and record it for the README; in
        development the ``development`` default applies (the production default when none is given)."""
        if development == REQUIRED:
            development = default
        self.variables[name] = Variable(name, meaning, default, development)
        mode_default = default if self.production else development
        read = getattr(self.env, parse)
        return read(name, **options) if mode_default == REQUIRED else read(name, mode_default, **options)

    def seal(self, problems):
        """Stop the process if any variable was bad or ``problems`` (name: message) has anything."""
        try:
            self.env.seal()
        except EnvValidationError as error:
            problems.update(error.error_messages)
        if not problems:
            return
        lines = [f"Configuration error (DJANGO_ENV={self.mode or 'invalid'}): fix these environment variables."]
        for name in sorted(problems):
            messages = problems[name]
            text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            text = text.replace("Environment variable not set.", "not set; required in production.")
            lines.append(f"  {name}: {text}")
        sys.exit("\n".join(lines))


# --- Rules for values ----------------------------------------------------------------------------

one_of = rules.OneOf
in_range = rules.Range
not_empty = rules.Length(min=1, error="must name at least one host.")


def shortest_period(text):
    """The length of the shortest block that, said again and again, makes ``text`` ("abcab": 3)."""
    return next(period for period in range(1, len(text) + 1) if text[period:] == text[:-period])


def lempel_ziv_pieces(text):
    """How many pieces ``text`` splits into, left to right, each the shortest not seen before it (the
    complexity of Lempel and Ziv, 1976): a measure of how little a text repeats itself. Random keys make
    about 30 (50 hex digits) to 50 (``secrets.token_urlsafe(50)``); "abcde" * 12 makes 6."""
    pieces = start = 0
    while start < len(text):
        end = start + 1
        while end <= len(text) and text[start:end] in text[: end - 1]:
            end += 1
        pieces, start = pieces + 1, end
    return pieces


MIN_SECRET_KEY_PIECES = 20  # the fewest of 20,000 random keys of 50 hex digits made 24


def secret_key_is_strong(value):
    """At least 50 characters that do not repeat themselves: Django's own check (50 characters, 5
    distinct) passes "abcde" * 12."""
    if (
        len(value) < 50
        or value.startswith("django-insecure")
        or shortest_period(value) <= len(value) // 2
        or lempel_ziv_pieces(value) < MIN_SECRET_KEY_PIECES
    ):
        raise ValidationError(
            "must be at least 50 random characters, with no repeated pattern and not starting with "
            "'django-insecure' (make one: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


def off(value):
    if value:
        raise ValidationError("must be false in production: debug pages show code, settings and queries to anyone.")


def named_hosts(hosts):
    """No host pattern that lets any Host header in: the site builds links from the Host it accepts."""
    for host in hosts:
        if "*" in host or (host.startswith(".") and host.count(".") < 2):
            raise ValidationError(
                f"{host!r} lets any Host header in: name the hosts (.example.com is a domain and its subdomains)."
            )


def bucket_name(value):
    if not value.strip():
        raise ValidationError("must name the bucket: without one, media would go to the process's own disk.")


def url_with_scheme(*schemes):
    def validate(value):
        try:
            parts = urlsplit(value)
            valid = parts.scheme in schemes and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a malformed host or a port that is not a number
            valid = False
        if not valid:
            raise ValidationError(f"must be a {' or '.join(schemes)} URL with a host.")

    return validate


def urls_with_scheme(*schemes):
    one = url_with_scheme(*schemes)
    return lambda values: [one(value) for value in values]


def supported_database_url(value):
    try:
        engine = dj_database_url.parse(value)["ENGINE"]
    except ValueError:
        engine = None
    if engine not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ValidationError("must be a postgres:// URL (or sqlite:/// for local experiments).")


def site_url(value):
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError("must be the site's address alone, like https://example.com: no path, no password.")


SENDING_SCHEMES = ("smtp", "submission", "submit")  # dj-email-url's SMTP schemes, smtps aside (below)


def email_url(production):
    """An SMTP URL, or dummy:// to send nothing. In production neither console:// (it prints every
    message, password-reset links included, to the logs) nor file:// or memory:// (mail kept on this
    process's disk or in its memory), and no password over a connection without TLS."""
    schemes = (*SENDING_SCHEMES, "dummy") if production else tuple(set(dj_email_url.SCHEMES) - {"smtps"})

    def validate(value):
        scheme = value.partition("://")[0] if "://" in value else None
        if scheme == "smtps":  # dj-email-url reads it as STARTTLS, which is what submission:// says
            raise ValidationError(
                "smtps:// is ambiguous: write submission://host:587 (STARTTLS) or smtp://host:465?ssl=true (TLS)."
            )
        if scheme not in schemes:
            raise ValidationError(f"must be a URL of one of these schemes: {', '.join(sorted(schemes))}.")
        try:
            email = dj_email_url.parse(value)
        except ValueError:  # a port or a timeout that is no number
            email = None
        if email is None or (scheme in SENDING_SCHEMES and not urlsplit(value).hostname):
            raise ValidationError("must name the SMTP server: submission://user:password@host:587.")
        if production and email["EMAIL_HOST_PASSWORD"] and not (email["EMAIL_USE_TLS"] or email["EMAIL_USE_SSL"]):
            raise ValidationError(
                "would send its password in clear text: use submission:// (STARTTLS) or add ?ssl=true (TLS)."
            )

    return validate


def sender(value):
    rules.Email(error="must be an e-mail address: no-reply@example.com or Name <no-reply@example.com>.")(
        parseaddr(value)[1]
    )


def admin_path(value):
    if not value.endswith("/") or value.startswith("/"):
        raise ValidationError("must be a path like 'admin/': a trailing slash and no leading one.")


def sentry_dsn(value):
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname and parts.username) and parts.port != 0
    except ValueError:
        valid = False
    if not valid or not parts.path.rstrip("/").rpartition("/")[2].isdigit():
        raise ValidationError("must be a Sentry DSN: https://public-key@host/project-id.")
