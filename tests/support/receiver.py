"""A local HTTP receiver for webhook tests: it answers a script of status codes, so retries,
give-ups and refusals happen for real over TCP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    """Answers ``codes`` in turn (then 200), keeping each request's time, content type and body."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.got: list[tuple[float, str, bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook?key=secret"


@contextmanager
def receiving(codes: list[int]) -> Iterator[Receiver]:
    """A Receiver answering in a thread until the block ends (then its socket is closed)."""
    srv = Receiver(codes)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.got.append((time.monotonic(), self.headers.get("Content-Type", ""), body))
        code = self.server.codes.pop(0) if self.server.codes else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass
