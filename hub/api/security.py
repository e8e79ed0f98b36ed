"""Response headers every API answer carries, and the middleware stack that guards the API.

Why headers on JSON too: a browser that is tricked into rendering an API answer (or an evidence
JPEG an agent crafted) must neither sniff it into HTML nor run anything from it, so the default
policy is ``default-src 'none'``; the docs page sets its own, which allows 'self' only.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from borderwatch.hub.api.config import ApiConfig

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""Nothing loads, runs or frames: for JSON answers and evidence JPEGs alike."""

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": API_CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """Adds ``headers`` to every HTTP response that does not set them itself (pure ASGI)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def guard(app: FastAPI, cfg: ApiConfig) -> None:
    """CORS only for configured origins, Host checked, security headers outermost (they cover 400s too)."""
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,  # bearer tokens, never cookies
            max_age=600,
        )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=cfg.allowed_hosts())
    hsts = {"Strict-Transport-Security": HSTS} if cfg.tls else {}
    app.add_middleware(SecurityHeaders, headers={**BASE_HEADERS, **hsts})
