"""NUL characters refused at the door: PostgreSQL text cannot hold one, so a NUL in a path,
a query or a body would otherwise reach the database and come back as a 500."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

from shared.asgi import ASGIApp, Message, Receive, Scope, Send, send_json_error

_NUL = "\x00"
_ESCAPED_NUL = b"\\u0000"  # how JSON spells it; a raw NUL byte is not JSON at all
#: deeper JSON is refused before any parser sees it: json.loads (ours and FastAPI's)
#: recurses once per level and a 100 000-deep body is a RecursionError, a 500
MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """How deep ``body``'s arrays and objects nest (brackets inside strings not counted);
    without recursion, so any body can be measured."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: not worth measuring
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def _nul_at(node: Any, where: str) -> str | None:
    """The JSON path (``body.days.0.source``) of the first string holding a NUL."""
    if isinstance(node, str):
        return where if _NUL in node else None
    if isinstance(node, dict):
        for key, value in node.items():
            if _NUL in key:
                return f"{where}.{key!r}"
            found = _nul_at(value, f"{where}.{key}")
            if found:
                return found
    if isinstance(node, list):
        for index, value in enumerate(node):
            found = _nul_at(value, f"{where}.{index}")
            if found:
                return found
    return None


def _body_nul(body: bytes) -> str | None:
    if b"\x00" in body:
        return "body"
    if _ESCAPED_NUL not in body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON: the route says what is wrong with it
    return _nul_at(parsed, "body")


class RefuseNul:
    """ASGI middleware: a 422 naming where a NUL character is, before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = self._in_url(scope)
        if where is not None:
            await self._refuse(send, where)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # the client went away; let the app see it as it would have
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if json_depth(body) > MAX_JSON_DEPTH:
            await send_json_error(
                send, 422, f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels is not taken"
            )
            return
        where = _body_nul(body)
        if where is not None:
            await self._refuse(send, where)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)

    @staticmethod
    def _in_url(scope: Scope) -> str | None:
        if _NUL in scope.get("path", ""):
            return "path"
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if _NUL in name or _NUL in value:
                return f"query.{name}" if _NUL not in name else "query"
        return None

    @staticmethod
    async def _refuse(send: Send, where: str) -> None:
        await send_json_error(send, 422, f"{where}: a NUL character is not allowed")


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered messages, then the client's own (which
    waits for it to go away)."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
