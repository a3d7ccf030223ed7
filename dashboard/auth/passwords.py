"""Password hashing with Argon2id (argon2-cffi defaults: 64 MiB, t=3, p=4, above OWASP's floor).

``verify_or_burn`` hashes against a fixed dummy when the account does not exist, so a failed
login for an unknown name costs the same time as one for a real name and reveals nothing.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Made on the first login, not at import: one Argon2 hash costs ~0.2 s, which every
    ``caseload`` command importing this module would otherwise pay."""
    return _hasher.hash("caseload-timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    """Raise ValueError when a new password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise ValueError("password must not start or end with whitespace")
    from dashboard.auth.breached import is_breached

    if is_breached(password):
        raise ValueError(
            "this password is on the list of commonly used and breached passwords: choose another"
        )


def verify_or_burn(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one Argon2 verification."""
    try:
        _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
