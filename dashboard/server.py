"""The Flask class of the dashboard: its one difference is what an unhandled error logs."""

from __future__ import annotations

import logging
import traceback
import uuid

from flask import Flask, request

log = logging.getLogger("dashboard")


class CaseloadFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """Log where it failed, never the message: exception text can carry SQL parameters
        (names, notes) and those must not reach the application log."""
        exc_type, _exc, tb = exc_info
        ref = uuid.uuid4().hex[:12]
        frames = "".join(traceback.format_tb(tb)) if tb else ""
        log.error(
            "unhandled %s on %s %s (ref %s)\n%s",
            exc_type.__name__ if exc_type else "?",
            request.method,
            request.path,
            ref,
            frames,
        )
