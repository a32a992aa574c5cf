"""A cap on request bodies, so no caller can make a service buffer without end."""

from __future__ import annotations

import asyncio

from shared.asgi import ASGIApp, Message, Receive, Scope, Send, send_json_error


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 when a body is (declared or turns out) larger than ``limit``;
    408 when it has not all arrived ``read_timeout`` seconds after the request began
    (uvicorn's keep-alive timeout does not cover a body that trickles in)."""

    def __init__(self, app: ASGIApp, limit: int, read_timeout: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        deadline = asyncio.get_running_loop().time() + self.read_timeout
        complete = False

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:
                return await receive()  # after the body: waits for a disconnect, unbounded
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(left, 0.001))
            except TimeoutError:
                raise BodyTooSlow from None
            if message["type"] == "http.request":
                complete = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await self._refuse(send)
        except BodyTooSlow:
            await send_json_error(
                send,
                408,
                f"the request body did not arrive within {self.read_timeout:g} s",
                close=True,
            )

    async def _refuse(self, send: Send) -> None:
        await send_json_error(send, 413, f"request body larger than {self.limit} bytes")
