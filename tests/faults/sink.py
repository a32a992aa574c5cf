"""A webhook subscriber's endpoint: a real HTTP server on loopback, in its own thread so
it outlives each test's event loop, that can be taken down and brought back on the
same port."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.stack import free_port


@dataclass(frozen=True)
class Receipt:
    path: str
    idempotency_key: str
    bulletin_id: str
    body: dict[str, Any]


class WebhookSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.receipts: list[Receipt] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    @property
    def up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen (again) on the sink's port."""
        if self._server is not None:
            return
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                receipt = Receipt(
                    path=self.path.lstrip("/"),
                    idempotency_key=self.headers.get("idempotency-key", ""),
                    bulletin_id=self.headers.get("x-airwarn-bulletin", ""),
                    body=json.loads(raw),
                )
                with sink._lock:
                    sink.receipts.append(receipt)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook sink", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: senders get connection refused until :meth:`start`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def received(self, path: str) -> list[Receipt]:
        with self._lock:
            return [r for r in self.receipts if r.path == path]

    def per_bulletin(self, path: str) -> Counter[str]:
        """How many POSTs each bulletin id got on ``path`` (repeats included)."""
        return Counter(r.bulletin_id for r in self.received(path))

    def keys_per_bulletin(self, path: str) -> dict[str, set[str]]:
        """The distinct idempotency keys each bulletin id came with on ``path``."""
        keys: dict[str, set[str]] = {}
        for receipt in self.received(path):
            keys.setdefault(receipt.bulletin_id, set()).add(receipt.idempotency_key)
        return keys
