"""Errors that cross layers."""


class Rejected(ValueError):
    """Input that breaks a rule of the plan or a contract: refused, never retried.

    On HTTP it becomes a 422 naming what is wrong; on the bus the message is
    dead-lettered with this text.
    """


class Conflict(ValueError):
    """A request that contradicts what is already recorded (HTTP 409)."""


class StaleWrite(Conflict):
    """A conditional write found the row changed since it was read (HTTP 409 if it gets
    that far; a bus handler is retried on fresh state, never dead-lettered)."""


class PreconditionFailed(Conflict):
    """The caller's ``If-Match`` names a version that is no longer current (HTTP 412)."""


class NotFound(LookupError):
    """The thing asked for does not exist (HTTP 404)."""


class Unauthenticated(PermissionError):
    """No credentials, or credentials nobody issued (HTTP 401)."""


class Forbidden(PermissionError):
    """The caller is known but its role may not do this (HTTP 403)."""


class UnsupportedMediaType(ValueError):
    """A request body in a format the endpoint does not take (HTTP 415)."""
