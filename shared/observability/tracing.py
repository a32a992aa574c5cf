"""A trace id for every HTTP request, carried into its logs and the events it causes.

The id comes from the caller's ``X-Trace-Id``, else from a W3C ``traceparent``, else
it is minted here; it is returned in the ``X-Trace-Id`` response header. The unit of
work stamps it onto the events it publishes, the bus carries it in a message header,
and the consumer on the other side logs under the same id.
"""

from __future__ import annotations

import logging
import re
import uuid

from shared.asgi import ASGIApp, Message, Receive, Scope, Send, send_json_error
from shared.observability import context

TRACE_HEADER = "x-trace-id"
# What we accept from outside: short and plain, since it is echoed and stored (64 chars).
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_NO_TRACE = "0" * 32

log = logging.getLogger(__name__)


def trace_of(headers: dict[str, str]) -> str:
    """The request's trace id: its ``X-Trace-Id``, its ``traceparent``'s trace id, or new."""
    given = headers.get(TRACE_HEADER, "").strip()
    if _PLAIN_ID.match(given):
        return given
    parent = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if parent and parent.group(1) != _NO_TRACE:
        return parent.group(1)
    return uuid.uuid4().hex


class TraceRequests:
    """ASGI middleware: set ``context.trace_id`` for the request and echo it back.

    It also answers an unhandled exception with a bare 500 (no exception text) and logs
    it while the request's trace id is still set; the app's own 500 handler sits outside
    every middleware, where the trace is already gone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        trace = trace_of(headers)
        token = context.trace_id.set(trace)
        # Each request starts unauthenticated; the bearer dependency names the caller. Reset
        # afterwards so a caller never outlives its request (in-process test clients share a task).
        actor_token = context.actor.set("http:anonymous")
        started = False

        async def send_traced(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"x-trace-id", trace.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_traced)
        except Exception:
            # Headers help to find out why; the redaction filter masks their secrets.
            log.exception(
                "unhandled error",
                extra={"method": scope["method"], "path": scope["path"], "headers": headers},
            )
            if started:
                raise
            await send_json_error(send_traced, 500, "internal error")
        finally:
            context.actor.reset(actor_token)
            context.trace_id.reset(token)
