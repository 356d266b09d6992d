"""Password guessing is not free: at most 10 failed logins per account and per client address in 15
minutes, then the login is refused (429) until the window passes. The counts are in Redis, so every
process sees the same ones (test_stateless.py proves it across two processes, and test_faults.py
what happens while Redis is down). The client address is the one the load balancer added to
X-Forwarded-For, never one the client wrote there."""

import secrets
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.test import Client, RequestFactory
from django_redis import get_redis_connection

from tests.harness.processes import client_address

LIMIT = 10
WINDOW = 15 * 60


def browser(forwarded_for=None):
    """A browser behind the balancer, which says the browser connected from ``forwarded_for``."""
    return Client(headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": forwarded_for or client_address()})


def attempt(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def someone():
    return f"nobody-{secrets.token_hex(4)}"


@pytest.fixture
def account(db):
    password = secrets.token_urlsafe(16)
    return get_user_model().objects.create_user(f"user-{secrets.token_hex(4)}", password=password).username, password


def test_ten_failed_logins_for_an_account_refuse_even_its_right_password(account):
    username, password = account
    for _ in range(LIMIT - 1):  # each from an address of its own
        assert attempt(browser(), username, "a wrong guess") == 200
    assert attempt(browser(), username, password) == 302, "nine failures are not ten"
    assert attempt(browser(), username, "a wrong guess") == 429, "the tenth failure is answered as refused"
    assert attempt(browser(), username, password) == 429


def test_ten_failed_logins_from_an_address_refuse_it_and_no_other(account):
    username, password = account
    address = client_address()
    answers = [attempt(browser(address), someone(), "a guess") for _ in range(LIMIT)]  # each at an account of its own
    assert answers == [200] * (LIMIT - 1) + [429]
    assert attempt(browser(address), username, password) == 429
    assert attempt(browser(), username, password) == 302


def test_a_refused_login_costs_no_password_check(account, monkeypatch):
    username, password = account
    for _ in range(LIMIT):
        attempt(browser(), username, "a wrong guess")
    checked = []
    check = ModelBackend.authenticate

    def counted(*args, **kwargs):
        checked.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    assert attempt(browser(), username, password) == 429
    assert checked == [], "a refused login still hashed the password it was given"


def test_each_failure_is_counted_in_redis_for_fifteen_minutes(account):
    redis, pattern = get_redis_connection("default"), caches["default"].make_key("axes-*")
    before = set(redis.scan_iter(pattern))
    assert attempt(browser(), account[0], "a wrong guess") == 200
    counts = set(redis.scan_iter(pattern)) - before
    assert len(counts) == 2, "one count for the account, one for the address"
    assert all(WINDOW - 60 < redis.ttl(key) <= WINDOW for key in counts)


def test_a_refused_login_is_refused_until_the_window_passes_and_does_not_extend_it(account, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=3)  # the window, shortened for the test
    username, password = account
    for _ in range(LIMIT):
        attempt(browser(), username, "a wrong guess")
    locked = time.monotonic()
    assert attempt(browser(), username, password) == 429
    time.sleep(1.5)
    assert attempt(browser(), username, "a guess while refused") == 429
    time.sleep(max(0.0, locked + 3.5 - time.monotonic()))
    assert attempt(browser(), username, password) == 302


def test_an_address_the_client_wrote_in_front_of_the_balancers_escapes_nothing(account):
    username, password = account
    address = client_address()
    for _ in range(LIMIT):  # a new made-up address each time, then the one the balancer added
        attempt(browser(f"{client_address()}, {address}"), someone(), "a guess")
    assert attempt(browser(f"{client_address()}, {address}"), username, password) == 429


def test_a_username_spelled_like_an_address_shares_no_count_with_that_address(account):
    username, password = account
    victim = client_address()
    for _ in range(LIMIT):
        attempt(browser(), victim, "a guess")
    assert attempt(browser(victim), username, password) == 302


@pytest.mark.parametrize(
    ("forwarded_for", "proxies", "address"),
    [
        (None, 1, "192.0.2.1"),  # no balancer in front: the connection's own address
        ("198.51.100.7", 1, "198.51.100.7"),
        ("203.0.113.5, 198.51.100.7", 1, "198.51.100.7"),  # the client's own header comes first
        ("203.0.113.5, 198.51.100.7, 10.0.0.2", 2, "198.51.100.7"),  # a CDN, then the balancer
        ("198.51.100.7", 2, "198.51.100.7"),  # fewer entries than proxies: the first one
        ("198.51.100.7:51234", 1, "198.51.100.7"),  # balancers that add the client's port
        ("[2001:db8::7]:51234", 1, "2001:db8::7"),
        ("2001:db8::7", 1, "2001:db8::7"),
        ("unknown", 1, "192.0.2.1"),  # not an address: the connection's
        ("198.51.100.7", 0, "192.0.2.1"),  # PROXY_COUNT=0: clients connect directly, nothing is forwarded
    ],
)
def test_the_client_address_is_the_one_the_proxies_added(settings, forwarded_for, proxies, address):
    from stateless.throttle import client_address as address_of

    settings.PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    assert address_of(RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.1", **headers)) == address
