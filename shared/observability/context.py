"""Who and what the current request or message is about, for logs and the audit trail.

Context variables are copied into each asyncio task, so a request's or a
message's values never leak into another's.
"""

from __future__ import annotations

from contextvars import ContextVar

actor: ContextVar[str] = ContextVar("airwarn_actor", default="system")
event_id: ContextVar[str | None] = ContextVar("airwarn_event_id", default=None)
trace_id: ContextVar[str | None] = ContextVar("airwarn_trace_id", default=None)
