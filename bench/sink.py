"""A webhook receiver on loopback: notify delivers bulletins to it, it notes when each
arrived. Plain asyncio and HTTP/1.1 keep-alive, so that the receiver costs the machine
as little as possible while the services are measured."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field

NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True)
class Received:
    at: float  # time.perf_counter() on arrival
    warning_id: str
    area: str
    msg_type: str


@dataclass
class Sink:
    received: list[Received] = field(default_factory=list)
    by_warning: dict[str, Received] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bulletins"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def _note(self, body: bytes) -> None:
        document = json.loads(body)
        if "warning_id" not in document or "bulletin_id" not in document:
            return  # a task notice, not a bulletin
        got = Received(
            time.perf_counter(), document["warning_id"], document["area"], document["msg_type"]
        )
        self.received.append(got)
        self.by_warning.setdefault(got.warning_id, got)
        self.arrived.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length)
                try:
                    self._note(body)
                except (ValueError, KeyError, TypeError):
                    writer.write(BAD_REQUEST)
                    await writer.drain()
                    return
                writer.write(NO_CONTENT)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()
