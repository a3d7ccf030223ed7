"""The breached-password list every new password is checked against.

The list is the 30,000 most common passwords of Xato's corpus of ten million leaked
passwords, as zxcvbn (Dropbox's password strength estimator, MIT licence, a dependency)
ships it in ``zxcvbn.frequency_lists``. Reading it from the installed package, rather than
keeping a copy in this repository, keeps its source, version and licence in one place
(``pyproject.toml``). Its entries are lower case; the check is case-insensitive, since
``Password1234`` is guessed as early as ``password1234``.
"""

from __future__ import annotations

import functools


@functools.cache
def breached_passwords() -> frozenset[str]:
    """Loaded on the first password check, not at import: ``caseload --help`` stays quick."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def is_breached(password: str) -> bool:
    return password.casefold() in breached_passwords()
