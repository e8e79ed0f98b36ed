"""A FastAPI app served by a real uvicorn on a free port in a thread (for browsers and SSE clients)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.waits import free_port, wait_until


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Base URL (http://localhost:PORT) while the server runs."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                        timeout_graceful_shutdown=1))  # fmt: skip
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_until(lambda: srv.started, 10, "uvicorn to start")
    try:
        yield f"http://localhost:{port}"
    finally:
        srv.should_exit = True
        thread.join(5)
