"""Passwords: Django's four validators refuse short, common, numeric and look-alike passwords, in
every form that sets one. A password reset is mailed through a real SMTP server, with a link to the
configured site whatever Host the request named."""

import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.harness.processes import Balancer, Visitor, WebProcess
from tests.harness.services import SMTP

STRONG = "correct horse battery staple"
WEAK = {
    "common": "password",
    "numeric and short": "12345678",
    "one short of the minimum": "zq8#Lm2!vR7@kX",  # 14 characters
    "like the user's name": "mallory.example.user",
}


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("mallory.example.user", "mallory@example.com", STRONG)


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_a_weak_password_is_refused(user, password):
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_password_passes(user):
    validate_password(STRONG + " again", user)


@pytest.mark.parametrize("password", ["password", "12345678"])
def test_the_password_change_form_refuses_a_weak_password(client, user, password):
    client.force_login(user)
    fields = {"old_password": STRONG, "new_password1": password, "new_password2": password}
    response = client.post("/accounts/password_change/", fields)
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_the_password_change_form_takes_a_strong_password(client, user):
    client.force_login(user)
    new = "a much longer and stronger passphrase"
    fields = {"old_password": STRONG, "new_password1": new, "new_password2": new}
    assert client.post("/accounts/password_change/", fields).status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


SITE = "https://site.example"  # the configured site; the process answers to it and its subdomains
FORGED_HOST = "attacker.site.example"  # allowed, as every subdomain is, yet not the site


@pytest.fixture
def mail_server():
    server = SMTP().start()
    yield server
    server.stop()


@pytest.fixture
def site(production_env, mail_server, tmp_path):
    env = {**production_env, "SITE_URL": SITE, "DJANGO_ALLOWED_HOSTS": ".site.example", "EMAIL_URL": mail_server.url()}
    web = WebProcess(env, tmp_path).start()
    yield web
    web.stop()


class Browser(Visitor):
    """A visitor that names a Host of its choice, and posts forms from that origin."""

    def __init__(self, web, host):
        super().__init__(Balancer(web))
        self.host = host

    def get(self, path, to=None):
        return self.request("GET", path, headers={"Host": self.host})

    def post_form(self, path, fields, to=None):
        body = urlencode({**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]})
        headers = {
            "Host": self.host,
            "Origin": f"https://{self.host}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return self.request("POST", path, body, headers)


def test_a_password_reset_is_mailed_with_a_link_to_the_site_never_to_the_requests_host(
    site, mail_server, django_user_model
):
    user = django_user_model.objects.create_user("forgetful", "forgetful@example.com", STRONG)
    attacker = Browser(site, FORGED_HOST)
    assert attacker.get("/accounts/password_reset/").status == 200
    response = attacker.post_form("/accounts/password_reset/", {"email": "forgetful@example.com"})
    assert response.status == 302, response.body

    (message,) = mail_server.messages
    assert message["To"] == "forgetful@example.com"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    body = message.get_body().get_content()
    assert FORGED_HOST not in "".join(f"{name}: {value}\n" for name, value in message.items()) + body
    (link,) = re.findall(r"https?://\S+/accounts/reset/\S+", body)
    assert link.startswith(f"{SITE}/accounts/reset/"), link

    # The owner follows the link and chooses a new password; a weak one is refused first.
    owner = Browser(site, urlsplit(SITE).hostname)
    response = owner.get(urlsplit(link).path)
    assert response.status == 302, response.body
    form = response.headers["Location"]
    assert owner.get(form).status == 200
    new = "a brand new passphrase for forgetful"
    weak = owner.post_form(form, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status == 200
    assert owner.post_form(form, {"new_password1": new, "new_password2": new}).status == 302
    user.refresh_from_db()
    assert user.check_password(new)
