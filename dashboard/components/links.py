"""Links to a client's page from an id the browser sent (a chart click).

The id only picks a link: the client page resolves it through the caller's scope like any
other request. Anything that is not a short printable string gives no link at all.
"""

from __future__ import annotations

from urllib.parse import quote


def client_href(client_id: object) -> str | None:
    """``/client/<id>`` with the id as one path segment, or None for an implausible id."""
    if not isinstance(client_id, str) or not client_id.isprintable():
        return None
    if not 0 < len(client_id) <= 64:
        return None
    return "/client/" + quote(client_id, safe="")
