"""RefuseNul: NUL characters refused before any route, naming where; all else untouched."""

from __future__ import annotations

import json
from typing import Any

from shared.asgi import Message
from shared.text_guard import RefuseNul


async def _call(
    path: str = "/x", query: bytes = b"", chunks: tuple[bytes, ...] = (b"",)
) -> tuple[int, dict[str, Any], bytes]:
    """The status, the JSON answer (if any) and the body the inner app read."""
    seen: list[bytes] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            seen.append(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "query_string": query, "headers": []}
    await RefuseNul(inner)(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body) if body else {}, b"".join(seen)


async def test_a_clean_body_reaches_the_route_whole_even_in_chunks() -> None:
    status, _, read = await _call(chunks=(b'{"a": "one",', b' "b": "two\\\\u0000"}'))
    # an escaped backslash before u0000 is text, not a NUL
    assert (status, read) == (204, b'{"a": "one", "b": "two\\\\u0000"}')


async def test_a_nul_is_named_where_it_is() -> None:
    assert (await _call(path="/a\x00"))[:2] == (
        422,
        {"detail": "path: a NUL character is not allowed"},
    )
    assert (await _call(query=b"x=1&area=a%00"))[1]["detail"].startswith("query.area:")
    nested = b'{"days": [{"date": "d"}, {"date": "d\\u0000"}]}'
    assert (await _call(chunks=(nested,)))[1]["detail"].startswith("body.days.1.date:")
    assert (await _call(chunks=(b"a,b\n\x00,c\n",)))[1]["detail"].startswith("body:")


async def test_a_body_that_is_not_json_is_left_to_the_route() -> None:
    status, _, read = await _call(chunks=(b'{"a": "\\u0000"',))
    assert (status, read) == (204, b'{"a": "\\u0000"')
