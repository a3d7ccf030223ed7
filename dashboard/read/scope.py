"""Who may read which clients: the one place the access rule is written down.

Every read-model function takes a ``Scope`` and adds ``client_filter(scope)`` to its WHERE
clause, so a query cannot return rows outside the caller's caseload (counselor) or program
(supervisor), whatever ids the browser sent. A scope with neither permission sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false

from dashboard.auth.permissions import VIEW_CASELOAD, VIEW_PROGRAM, permissions_for
from etl.models import DimClient, DimStaff


@dataclass(frozen=True)
class Scope:
    user_id: int
    role: str
    staff_key: int | None
    program_key: int | None
    permissions: frozenset[str]

    @classmethod
    def for_user(cls, user) -> Scope:
        return cls(
            user_id=user.user_id,
            role=user.role,
            staff_key=user.staff_key,
            program_key=user.program_key,
            permissions=permissions_for(user.role),
        )

    @property
    def sees_program(self) -> bool:
        return VIEW_PROGRAM in self.permissions and self.program_key is not None

    @property
    def sees_own_caseload(self) -> bool:
        return VIEW_CASELOAD in self.permissions and self.staff_key is not None


def client_filter(scope: Scope) -> ColumnElement[bool]:
    """The WHERE clause on ``dim_client`` for the clients this scope may read."""
    if scope.sees_program:
        return DimClient.program_key == scope.program_key
    if scope.sees_own_caseload:
        return DimClient.counselor_key == scope.staff_key
    return false()


def mart_filter(scope: Scope, mart) -> ColumnElement[bool]:
    """The same rule on a mart kept per program and counselor (``etl.marts``)."""
    if scope.sees_program:
        return mart.program_key == scope.program_key
    if scope.sees_own_caseload:
        return mart.counselor_key == scope.staff_key
    return false()


def staff_filter(scope: Scope) -> ColumnElement[bool]:
    """The WHERE clause on ``dim_staff`` for the counselors whose caseloads this scope reads."""
    if scope.sees_program:
        return DimStaff.program_key == scope.program_key
    if scope.sees_own_caseload:
        return DimStaff.staff_key == scope.staff_key
    return false()
