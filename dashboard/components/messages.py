"""Words a page shows: a command's refusal as a sentence (commands word their messages for the
command line: lower case, no full stop), and counts with their noun ("1 row", "2 rows")."""

from __future__ import annotations


def sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an "s" unless there is exactly one."""
    return f"{n} {word}" + ("" if n == 1 else "s")
