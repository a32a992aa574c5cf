"""The benchmark's webhook receiver, on loopback: it notes bulletins (and their warning)
and answers at once, and lets task notices through without counting them."""

from __future__ import annotations

import asyncio
import json

from bench.sink import Sink


async def test_the_sink_notes_bulletins_and_ignores_notices() -> None:
    sink = Sink()
    await sink.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", sink.port)
        for body in (
            {"bulletin_id": "b1", "warning_id": "w1", "area": "500103", "msg_type": "Alert"},
            {"notice_id": "n1", "unit": "u", "area": "500103"},
        ):
            raw = json.dumps(body).encode()
            writer.write(
                b"POST /bulletins HTTP/1.1\r\nhost: x\r\ncontent-length: "
                + str(len(raw)).encode()
                + b"\r\n\r\n"
                + raw
            )
            await writer.drain()
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 204")
        writer.close()
    finally:
        await sink.stop()
    assert [(r.warning_id, r.msg_type) for r in sink.received] == [("w1", "Alert")]
