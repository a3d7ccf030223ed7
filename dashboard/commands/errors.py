"""Why a command refused: the caller shows a neutral message and the audit log the reason."""


class AccessDenied(Exception):
    """The user may not do this to this client (or the client does not exist)."""


class InvalidInput(ValueError):
    """The request is malformed (unknown method, note too long, date in the past)."""
