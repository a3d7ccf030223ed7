"""Staff shown by name, not username: "Ana Ruiz" on a follow-up or a snooze, the username only
for a login that belongs to no staff record (an admin)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import aliased

from etl.models import AppUser, DimStaff

UserStaff = aliased(DimStaff, name="user_staff")


def user_name(user=AppUser):
    """SQL for a login's display name; outer-join ``UserStaff`` on ``user.staff_key``."""
    return func.coalesce(UserStaff.first_name + " " + UserStaff.last_name, user.username)
