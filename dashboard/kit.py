"""The one way to write a dashboard page: declare its permission, and route every callback
through ``page_callback``.

Access is checked at the server on every request; nothing here trusts what the browser sends.
The kit does the parts every page needs and no page should write twice:

* ``register_page(__name__, permission=VIEW_CASELOAD, ...)`` registers the page with the
  permission it needs. The navigation lists the pages the signed-in user holds the permission
  for (``nav_pages``); a page the user lacks answers like an unknown path (the 404 layout;
  the tab keeps its PHI-free title) and the denial is audited (``guard_pages``, in
  ``create_app``).
* A user holding a temporary password (an administrator's reset) sees the ``/account`` page
  whatever the path, and every callback but the ``SIGNED_IN`` ones (the account form, the
  shell) is refused and audited until they have chosen their own
  (``password_change_pending``).
* ``@page_callback(Output(...), Input(...), permission=VIEW_CASELOAD)`` is ``dash.callback``
  plus the access check. Without the permission the callback answers nothing
  (``PreventUpdate``, HTTP 204) and writes exactly one ``denied`` audit row. With it, the
  function is called with a ``View`` first: the caller's ``Scope``, the program's today, a
  read connection opened on first use and closed afterwards, ``audit_view`` (the row is
  committed while the callback goes on; the answer waits for it), ``deny``
  for a request the scope refuses (an id outside the caseload), and ``run`` for a command.

How to write a page (``dashboard/pages/<name>.py``)::

    from dash import Input, Output, html
    from dashboard.auth.permissions import VIEW_CASELOAD
    from dashboard.kit import View, page_callback, register_page
    from dashboard.read import missed as read_missed

    register_page(__name__, path="/missed", name="Missed", title="Missed · Caseload",
                  permission=VIEW_CASELOAD, order=1)

    def layout(**_kwargs):            # no data in the layout: callbacks fill it
        return html.Div([...], id="missed-page")

    @page_callback(Output("missed-grid", "rowData"), Input("missed-counselor", "value"),
                   permission=VIEW_CASELOAD)
    def load(view: View, counselor_key):
        key = view.counselor(counselor_key)       # None: refused, and audited already
        if key is None:
            return []
        rows = read_missed.rows(view.conn, view.scope, key, view.today)
        view.audit_view("missed", client_keys=list(rows["client_key"]))
        return grid_rows(rows)

Rules: component ids carry the page's prefix; queries live in ``dashboard/read/`` and take
``view.scope``; writes are commands called with ``view.run(command, ...)``; a callback never
opens a connection, builds a scope, or checks a permission itself. A test
(``tests/integration/dashboard/test_kit.py``) fails if a page declares no permission or a
callback bypasses the kit.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import dash
from dash.exceptions import PreventUpdate
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Connection

from dashboard.access import deny_client_access
from dashboard.audit import audit_denied, submit_event
from dashboard.auth.permissions import has_permission
from dashboard.context import command_context, program_today
from dashboard.db import db
from dashboard.read import today as read_today
from dashboard.read.scope import Scope

KIT_MARK = "__caseload_kit__"
# For the shell's own callbacks (the data-freshness header): any signed-in user, whatever role.
SIGNED_IN = "signed_in"
NOT_FOUND_MODULE = "not_found_404"
# Where a user with a temporary password is kept until they choose their own.
ACCOUNT_PATH = "/account"


def password_change_pending() -> bool:
    """True while the signed-in user holds a temporary password: every page is the account
    page, every callback but the signed-in ones (the account form, the shell) is refused."""
    return (
        has_request_context()
        and bool(current_user.is_authenticated)
        and bool(getattr(current_user, "must_change_password", False))
    )


def register_page(module: str, *, permission: str | None, **kwargs: Any) -> None:
    """``dash.register_page`` with the permission the page needs (``None``: the not-found page
    alone, which every signed-in user may see)."""
    dash.register_page(module, permission=permission, **kwargs)


def may_open(page: dict) -> bool:
    permission = page.get("permission")
    if permission is None:
        return True
    if password_change_pending():
        return page.get("path") == ACCOUNT_PATH
    if permission == SIGNED_IN:
        return bool(current_user.is_authenticated)
    return has_permission(permission)


def nav_pages() -> list[dict]:
    """The pages the signed-in user may open and that belong in the navigation, in order."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
    return [p for p in pages if p.get("nav", True) and may_open(p)]


def home_path(target: str = "/") -> str:
    """Where ``/`` should take the signed-in user: their first page (an admin has no Today,
    and landing on "page not found" after signing in is no welcome). Other paths unchanged."""
    if password_change_pending():
        return ACCOUNT_PATH
    if target != "/":
        return target
    pages = nav_pages()
    return pages[0]["relative_path"] if pages else "/"


def _not_found_page() -> dict:
    return next(p for m, p in dash.page_registry.items() if m.split(".")[-1] == NOT_FOUND_MODULE)


def _account_page() -> dict | None:
    return next((p for p in dash.page_registry.values() if p["path"] == ACCOUNT_PATH), None)


def guard_pages() -> None:
    """Wrap each registered page's layout: without the page's permission, the user gets the
    not-found page's layout and the denial is audited. Idempotent:
    Dash re-imports the pages for every app, tests build several apps in one process."""
    missing = _not_found_page()
    for page in dash.page_registry.values():
        if page is missing or getattr(page["layout"], KIT_MARK, False):
            continue
        page["layout"] = _guarded_layout(page, page["layout"], missing)


def _refused(page: dict) -> bool:
    # Dash building its validation layout at start-up (create_app, no user): nothing is served.
    return has_request_context() and bool(current_user.is_authenticated) and not may_open(page)


def _guarded_layout(page: dict, layout: Callable | Any, missing: dict) -> Callable:
    def guarded(**kwargs: Any) -> Any:
        account = _account_page()
        if password_change_pending() and account is not None and page is not account:
            # Not a denial: the user is asked to do the one thing they may do first.
            return account["layout"](**kwargs)
        if _refused(page):
            audit_denied(reason=f"missing {page['permission']}", detail={"page": page["path"]})
            return missing["layout"](**kwargs) if callable(missing["layout"]) else missing["layout"]
        return layout(**kwargs) if callable(layout) else layout

    setattr(guarded, KIT_MARK, True)
    return guarded


class View:
    """What a callback body gets: who is asking, for which day, and a read connection."""

    def __init__(self) -> None:
        self.scope = Scope.for_user(current_user)
        self.today: dt.date = program_today()
        self._conn: Connection | None = None
        self._views: list[Future] = []

    @property
    def conn(self) -> Connection:
        """The read connection, opened on first use and closed when the callback returns: on
        the read replica if there is one, unless the caller wrote lately (``dashboard.db``)."""
        if self._conn is None:
            self._conn = db.read_engine.connect()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def audit_view(
        self,
        category: str,
        *,
        client_keys: Sequence[int] | None = None,
        route: str | None = None,
        detail: dict[str, Any] | None = None,
        action: str = "view",
    ) -> None:
        """Record that the caller saw (or, ``action="export"``, downloaded) these rows. The row
        is queued at once and committed while the callback builds its answer; the answer
        leaves only after the commit (``flush``). A callback that fails afterwards leaves the
        row standing: what it was about to show is recorded, never less."""
        self._views.append(
            submit_event(
                action,
                category=category,
                client_keys=[int(k) for k in client_keys] if client_keys is not None else None,
                route=route,
                detail=detail,
            )
        )

    def flush(self) -> None:
        """Wait until every view row is committed (a failed append fails the callback)."""
        views, self._views = self._views, []
        for written in views:
            written.result()

    def deny(self, reason: str, **detail: Any) -> None:
        """Record a request the scope refused (one ``denied`` row)."""
        audit_denied(reason=reason, detail=detail or None)

    def deny_client(self, client_id: Any, *, reason: str, action: str) -> None:
        """Record a refused client id, naming the target by key when it exists."""
        deny_client_access(client_id, reason=reason, action=action)

    def counselor(self, counselor_key: Any) -> int | None:
        """A counselor key from the browser, checked against the scope: the key, or ``None``
        after a denial row. ``type()``, not ``isinstance()``: JSON true is a bool."""
        if type(counselor_key) is not int or counselor_key not in read_today.counselor_keys(
            self.conn, self.scope
        ):
            self.deny("caseload outside scope", counselor_key=str(counselor_key)[:20])
            return None
        return counselor_key

    def run(self, command: Callable, **kwargs: Any) -> Any:
        """Run a write command in its own transaction with the caller's context, on the
        primary; the caller's reads follow it there for a while (read-your-writes)."""
        self.close()  # SQLite: no read connection held open across a write
        try:
            return command(db.engine, command_context(), **kwargs)
        finally:
            db.wrote()


def page_callback(*dependencies: Any, permission: str, **options: Any) -> Callable:
    """``dash.callback`` through the kit: permission check (refusal: no update, one audit
    row), a ``View`` as first argument, the view's audit rows written after success."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            allowed = (
                bool(current_user.is_authenticated)
                if permission == SIGNED_IN
                else has_permission(permission)
            )
            if not allowed:
                audit_denied(reason=f"missing {permission}")
                raise PreventUpdate
            if permission != SIGNED_IN and password_change_pending():
                audit_denied(reason="password change required")
                raise PreventUpdate
            view = View()
            try:
                result = func(view, *args, **kwargs)
            finally:
                view.close()
                view.flush()
            return result

        setattr(wrapped, KIT_MARK, permission)
        return dash.callback(*dependencies, **options)(wrapped)

    return decorator
