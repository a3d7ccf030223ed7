"""A command's refusal shown on a page: commands word their messages for the command line
(lower case, no full stop); pages show them as sentences."""

from __future__ import annotations


def sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
