"""Password rules and hashing with Argon2id, a memory-hard algorithm."""

import secrets
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MAX_LENGTH = 128


@cache
def common_passwords():
    """Return the set of passwords refused for being too common."""
    text = resources.files("pwa_app").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _is_repetitive(password):
    """Tell whether a password is one character repeated or a run like 2345678."""
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps in ({1}, {-1})


# Easy to read aloud and to type on a phone: no 0/o, 1/l/i.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_password():
    """Return a password to hand over once: 12 characters in three groups of four."""
    groups = ("".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def problem(password, phone=None):
    """Return why the password is not acceptable, or None when it is."""
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_length:
        return _l("Use at least %(n)d characters.", n=min_length)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or _is_repetitive(password):
        return _l("This password is too common or easy to guess. Choose another.")
    if phone and phone in password:
        return _l("Do not use your phone number in your password.")
    return None


def _hasher():
    config = current_app.config
    return _hasher_for(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])


@cache
def _hasher_for(time_cost, memory_kib):
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password):
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def verify_password(password_hash, password):
    """Check a password against its hash without raising."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """Tell whether a hash was made with weaker settings than today's."""
    return _hasher().check_needs_rehash(password_hash)


def dummy_hash():
    """Return a hash to verify against when the phone is unknown, so timing does not tell.

    It is made by the same hasher as real ones: the same cost, memory and parallelism.
    """
    return _dummy_hash(_hasher())


@cache
def _dummy_hash(hasher):
    return hasher.hash("not-a-password")
