"""Checks on values that arrive from the browser before a command uses them.

Callback inputs are JSON the user controls: a note may arrive as a list, a method as a dict,
a text with a NUL byte that PostgreSQL refuses. Each becomes ``InvalidInput`` (a message on
the form), never a server error.
"""

from __future__ import annotations

from collections.abc import Container

from dashboard.commands.errors import InvalidInput


def choice(value: object, allowed: Container[str], what: str) -> str:
    """``value`` when it is one of the ``allowed`` strings."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"unknown {what}")
    return value


def optional_text(value: object, what: str) -> str | None:
    """Stripped text, or None when empty; refuses anything but a string or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    if "\x00" in value:
        raise InvalidInput(f"{what} contains a character that cannot be stored")
    return value.strip() or None
