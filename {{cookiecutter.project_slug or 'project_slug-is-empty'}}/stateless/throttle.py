"""The login throttle's own rules. django-axes counts failed logins per account and per client
address in Redis (config/settings.py says how many, for how long); this module says which address
a login comes from and under which name its account is counted
{%- if cookiecutter.session_store == "redis+db" %}, and counts failures in
the database while Redis is down{% endif %}.
"""

import ipaddress
{%- if cookiecutter.session_store == "redis+db" %}
import logging
import time
{%- endif %}

from axes.conf import settings as axes_settings
{%- if cookiecutter.session_store == "redis+db" %}
from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cache
{%- endif %}
from django.conf import settings
{%- if cookiecutter.session_store == "redis+db" %}

BREAK_SECONDS = 2.0  # after a Redis error, how long this worker counts in the database before it tries Redis again
logger = logging.getLogger(__name__)
{%- endif %}


def client_address(request):
    """The address the client connected from, as the proxies in front of this process recorded it.

    Each of the PROXY_COUNT proxies (the TLS-terminating load balancer) adds the address that
    connected to it to the end of X-Forwarded-For, so the entry PROXY_COUNT places from the end is
    the client's; whatever is to its left the client wrote itself, and is never taken. Without the
    header (a client that connected directly) or with PROXY_COUNT=0, the connection's own address.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.PROXY_COUNT
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if not count or not forwarded:
        return remote
    return plain_address(forwarded[-count] if len(forwarded) >= count else forwarded[0]) or remote


def plain_address(entry):
    """The IP address of an X-Forwarded-For entry, without the port that some balancers add; None if none."""
    for candidate in (entry, entry.strip("[]"), entry.rsplit(":", 1)[0].strip("[]")):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def account(request, credentials):
    """The name a login's account is counted under: the username given, in a namespace of its own.

    django-axes hashes a username and an address alike: without the prefix, failures with a username
    spelled like an address would count against that address, and lock everyone there out.
    """
    field = axes_settings.AXES_USERNAME_FORM_FIELD  # axes' default when the settings name none
    username = credentials.get(field) if credentials else getattr(request, "data", request.POST).get(field)
    return None if username is None else f"account:{username}"
{%- if cookiecutter.session_store == "redis+db" %}


class LoginThrottle(AxesCacheHandler):  # type: ignore[misc]  # django-axes ships no types
    """django-axes' cache handler, which counts in Redis; while Redis fails, its database handler counts.

    With ``session_store=redis+db`` logins go on through a Redis outage, as sessions do: refusing
    every login attempt that cannot be counted in Redis would take that away, and counting none would
    make guessing free for as long as the outage lasts. So after a Redis error this worker counts in
    PostgreSQL (axes' tables, which every process shares) for BREAK_SECONDS, then tries Redis again,
    and says so in the log. Counts made in one place are not seen in the other: around an outage, a
    guesser gets at most one more limit's worth of attempts.
    """

    failed_at: float | None = None  # per worker process (a class attribute): when Redis last failed here
    clock = staticmethod(time.monotonic)

    def __init__(self):
        self.database = AxesDatabaseHandler()

    @property
    def cache(self):
        return get_cache()  # as the settings say now

    def get_failures(self, request, credentials=None):
        return self.counted("get_failures", request, credentials)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        return self.counted("user_login_failed", sender, credentials, request, **kwargs)

    def post_save_access_attempt(self, instance, **kwargs):  # the database handler's rows, saved...
        return self.database.post_save_access_attempt(instance, **kwargs)

    def post_delete_access_attempt(self, instance, **kwargs):  # ...and deleted
        return self.database.post_delete_access_attempt(instance, **kwargs)

    def counted(self, method, *args, **kwargs):
        from django_redis.exceptions import ConnectionInterrupted
        from redis import RedisError

        state = type(self)
        if state.failed_at is None or self.clock() - state.failed_at >= BREAK_SECONDS:
            try:
                return getattr(AxesCacheHandler, method)(self, *args, **kwargs)
            except (ConnectionInterrupted, RedisError) as error:
                state.failed_at = self.clock()
                logger.warning("Redis failed (%r): failed logins are counted in the database for now.", error)
        return getattr(self.database, method)(*args, **kwargs)
{%- endif %}
