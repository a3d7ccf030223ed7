"""Roles carry permissions as strings; routes and callbacks check permissions, never roles.

Two small helpers: ``permission_required`` for Flask views and ``callback_permission`` for
Dash callbacks. A callback without the permission records a denial and answers nothing
(``PreventUpdate``: HTTP 204 with an empty body).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

VIEW_CASELOAD = "view_caseload"  # one's own clients
VIEW_PROGRAM = "view_program"  # every client of one's program
LOG_FOLLOWUP = "log_followup"  # contacts and snoozes
EXPORT_ANONYMIZED = "export_anonymized"  # de-identified exports of one's own program
EXPORT_ALL_PROGRAMS = "export_all_programs"  # ... of any program
MANAGE_USERS = "manage_users"
VIEW_AUDIT = "view_audit"
# Program outcomes are aggregates (no client rows): a supervisor's own program; an admin any.
VIEW_OUTCOMES = "view_outcomes"
VIEW_ALL_OUTCOMES = "view_all_outcomes"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "counselor": frozenset({VIEW_CASELOAD, LOG_FOLLOWUP}),
    "supervisor": frozenset(
        {VIEW_CASELOAD, VIEW_PROGRAM, LOG_FOLLOWUP, EXPORT_ANONYMIZED, VIEW_OUTCOMES}
    ),
    # Admins run the system (users, loads, the audit log); they read no client records, only
    # any program's aggregate outcomes and de-identified exports.
    "admin": frozenset(
        {
            MANAGE_USERS,
            VIEW_AUDIT,
            VIEW_OUTCOMES,
            VIEW_ALL_OUTCOMES,
            EXPORT_ANONYMIZED,
            EXPORT_ALL_PROGRAMS,
        }
    ),
    # Analysts (PRODUCT.md: "supervisor, analyst: an anonymized export") see no client and no
    # page but Reports: de-identified exports of their own program.
    "analyst": frozenset({EXPORT_ANONYMIZED}),
}
ROLES = tuple(ROLE_PERMISSIONS)


def permissions_for(role: str | None) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role or "", frozenset())


def has_permission(permission: str) -> bool:
    from flask_login import current_user  # lazily: the command line reads ROLES without Flask

    return bool(current_user.is_authenticated) and permission in current_user.permissions


def permission_required(permission: str) -> Callable:
    """Decorate a Flask view: 403 unless the signed-in user holds ``permission``."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(permission):
                from flask import abort

                from dashboard.audit import audit_denied

                audit_denied(reason=f"missing {permission}")
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def callback_permission(permission: str) -> Callable:
    """Decorate a Dash callback body: no permission, no update, and a logged denial."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(permission):
                from dash.exceptions import PreventUpdate

                from dashboard.audit import audit_denied

                audit_denied(reason=f"missing {permission}")
                raise PreventUpdate
            return func(*args, **kwargs)

        return wrapped

    return decorator
