"""Passwords: Django's four validators refuse short, common, numeric and look-alike passwords, in
every form that sets one."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

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
