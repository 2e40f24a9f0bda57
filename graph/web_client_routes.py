"""The reference web client at / (its source and build: graph/webclient/).

`make run` and `make test` build graph/webclient/dist from the lockfile before the
server starts; the server only reads those files. Every client-side route answers
the same page, which then routes in the browser.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_CLIENT_DIST = Path(__file__).with_name("webclient") / "dist"
CLIENT_PATHS = (
    "/",
    "/signin",
    "/dashboard",
    "/admin",
    "/plans/{report_id}",
    "/plans/{report_id}/progress",
)
# Only our own files run and load; the API and its websocket are same-origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
NOT_BUILT = "The web client is not built: run `make webclient` (make run and make test do it).\n"


class _BuiltFiles(StaticFiles):
    """StaticFiles that answers 404, not a 500, while the client is not built."""

    async def check_config(self) -> None:
        if self.directory is not None and await anyio.Path(self.directory).is_dir():
            await super().check_config()


def web_client_routes(dist: Path = WEB_CLIENT_DIST) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        index = dist / "index.html"
        if not await anyio.Path(index).is_file():
            return PlainTextResponse(NOT_BUILT, status_code=503)
        return FileResponse(index, headers=PAGE_HEADERS)

    routes: list[BaseRoute] = [Route(path, page, methods=["GET", "HEAD"]) for path in CLIENT_PATHS]
    routes.append(Mount("/assets", _BuiltFiles(directory=dist, check_dir=False), name="assets"))
    return routes
