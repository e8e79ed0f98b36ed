"""The interactive API docs, served whole from this hub: no CDN, no inline script.

Why not FastAPI's built-in page: it loads Swagger UI from a CDN (the hub would leak its
operators' browsing to a third party, and break on an air-gapped network) and starts it with an
inline script that a strict content-security policy forbids. The Swagger UI files come from the
``fastapi-offline`` package (a hub dependency); the start-up script is a file of our own.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from borderwatch.hub.api.security import SecurityHeaders

ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)
"""Scripts, styles and fetches from this hub only; ``data:`` images are Swagger UI's own icons."""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/assets/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
"""

# Relative URLs resolve against /docs, so the page also works behind a proxy under a path prefix.
_INIT_JS = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


def add_docs(app: FastAPI) -> None:
    """``/docs`` (page), ``/docs/init.js`` and ``/docs/assets/*`` (Swagger UI), all outside the schema."""
    page = _PAGE.format(title=f"{app.title} - API docs")
    headers = {"Content-Security-Policy": DOCS_CSP}

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(_INIT_JS, media_type="text/javascript", headers=headers)

    assets = SecurityHeaders(StaticFiles(directory=ASSETS), {"Cache-Control": "public, max-age=86400"})
    app.mount("/docs/assets", assets, name="docs-assets")
