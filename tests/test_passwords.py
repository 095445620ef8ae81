"""The password rules: long enough, not common, not the phone number."""

import pytest

from pwa_app.services import passwords


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "12345678",
        "password1",
        "qwertyuiop",
        "aaaaaaaaaa",
        "23456789",
        "iloveyou",
        "PassWord123",
    ],
)
def test_weak_passwords_are_refused(app, password):
    assert passwords.problem(password) is not None


def test_a_password_with_the_phone_number_is_refused(app):
    assert passwords.problem("x0812345678x", phone="0812345678") is not None


@pytest.mark.parametrize("password", ["kwamsuk-2569", "นาข้าวเขียว2569", "tree house river"])
def test_reasonable_passwords_pass(app, password):
    assert passwords.problem(password, phone="0812345678") is None


def test_an_over_long_password_is_refused(app):
    assert passwords.problem("x" * 129 + "y") is not None


def test_hash_and_verify(app):
    hashed = passwords.hash_password("kwamsuk-2569")
    assert passwords.verify_password(hashed, "kwamsuk-2569")
    assert not passwords.verify_password(hashed, "kwamsuk-2570")
    assert not passwords.verify_password("not a hash", "kwamsuk-2569")
