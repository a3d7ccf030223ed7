"""Writes from the dashboard: one function per action. Each checks the permission and the
client's scope, writes in one transaction and records its audit event in that transaction."""

from dashboard.commands.errors import AccessDenied, InvalidInput
from dashboard.commands.followup import FOLLOWUP_METHODS, FOLLOWUP_OUTCOMES, log_followup
from dashboard.commands.snooze import lift_snooze, snooze_client

__all__ = [
    "FOLLOWUP_METHODS",
    "FOLLOWUP_OUTCOMES",
    "AccessDenied",
    "InvalidInput",
    "lift_snooze",
    "log_followup",
    "snooze_client",
]
