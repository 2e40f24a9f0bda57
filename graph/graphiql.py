"""Strawberry's GraphiQL page, with its CDN files served by the API from npm's copies.

Strawberry's page loads React, GraphiQL and its explorer plugin from a CDN: without
internet it shows only "Loading...". `graph/static/graphiql/package.json` pins the
same packages at the versions the page names (`make graphiql-assets` installs them
with `npm ci`); the page is rendered with each CDN URL replaced by one under
ASSETS_PATH, and only the files it names are served. Their `integrity` attributes
stay, so the browser checks that they are byte for byte the files the CDN serves.
GraphiQL's bundle carries graphql and graphql-ws, which it uses for subscriptions
over this same /graphql URL (graphql-transport-ws).

A token given as `/graphql#token=<jwt>` fills the Headers tab with its
Authorization header, which GraphiQL sends on HTTP and in the websocket's
`connection_init`. A fragment never reaches the server or its logs (a query
string would), and the page removes it from the address bar once read.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from strawberry.http.ides import get_graphql_ide_html

log = logging.getLogger(__name__)

ASSETS_PATH = "/graphiql/assets"
NPM_PROJECT = Path(__file__).parent / "static" / "graphiql"
# https://unpkg.com/<package>@<version>/<file>, the package possibly scoped (@graphiql/...).
_CDN_URL = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)")
# Where the page's script reads its initial headers; a token from the fragment goes there.
_HEADERS_STATE = "React.useState(parameters.headers)"
_MAIN_SCRIPT = "    <script>\n      const EXAMPLE_QUERY"

_TOKEN_FROM_FRAGMENT = """    <script>
      // Mission planner: /graphql#token=<jwt> prefills the Headers tab. The fragment is
      // never sent to the server; it is removed from the address bar once read.
      window.missionPlannerHeaders = (function () {
        var match = /^#(?:.*&)?token=([^&]*)/.exec(window.location.hash);
        if (!match) return undefined;
        history.replaceState(null, "", window.location.pathname + window.location.search);
        var token = decodeURIComponent(match[1]).replace(/^Bearer\\s+/i, "");
        return JSON.stringify({ Authorization: "Bearer " + token }, null, 2);
      })();
    </script>
"""

NOT_INSTALLED = """<!doctype html>
<html><head><title>GraphiQL is not installed</title></head>
<body style="font-family: sans-serif; margin: 2em">
<h1>GraphiQL's files are not installed</h1>
<p>The API works: send GraphQL to this URL by POST, or subscribe over a websocket.
The GraphiQL page needs its npm files, which this installation lacks
(missing: {missing}).</p>
<p>Install them with <code>make graphiql-assets</code> (<code>npm ci</code> in
<code>graph/static/graphiql</code>), then restart the server.</p>
</body></html>
"""


@dataclass(frozen=True)
class GraphiQLPage:
    """The page to serve and the files it may load, decided once at startup."""

    html: str
    status_code: int
    # URL path under ASSETS_PATH -> the file in node_modules.
    assets: dict[str, Path]

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html, status_code=self.status_code)

    async def asset(self, request: Request) -> Response:
        path = self.assets.get(request.path_params["asset"])
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        # The URL names the package version: the file behind it never changes.
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        return FileResponse(path, headers=headers)


def load_graphiql_page(npm_project: Path | None = None) -> GraphiQLPage:
    """Strawberry's page on local files, or a page saying which are missing."""
    html = get_graphql_ide_html("graphiql")
    node_modules = (npm_project or NPM_PROJECT) / "node_modules"
    assets: dict[str, Path] = {}
    missing: list[str] = []
    for match in _CDN_URL.finditer(html):
        package, version, file = match.groups()
        local = node_modules / package / file
        if _installed_version(node_modules / package) != version or not local.is_file():
            missing.append(f"{package}@{version}")
        assets[f"{package}@{version}/{file}"] = local
    if missing:
        log.warning("GraphiQL's npm files are missing (%s): run make graphiql-assets", missing)
        listed = ", ".join(sorted(set(missing)))
        return GraphiQLPage(NOT_INSTALLED.format(missing=listed), 503, {})
    local_html = _CDN_URL.sub(lambda m: f"{ASSETS_PATH}/{m[1]}@{m[2]}/{m[3]}", html)
    return GraphiQLPage(_with_token_prefill(local_html), 200, assets)


def _installed_version(package_dir: Path) -> str | None:
    try:
        manifest = json.loads((package_dir / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def _with_token_prefill(html: str) -> str:
    # Both anchors are strawberry's page text: a strawberry that changed them still
    # gets its page served, without the prefill (and tests/unit/test_graphiql_page.py fails).
    if html.count(_HEADERS_STATE) != 1 or html.count(_MAIN_SCRIPT) != 1:
        log.error("strawberry's graphiql.html changed: no token prefill (see graph/graphiql.py)")
        return html
    prefilled = "React.useState(parameters.headers || window.missionPlannerHeaders)"
    html = html.replace(_HEADERS_STATE, prefilled)
    return html.replace(_MAIN_SCRIPT, _TOKEN_FROM_FRAGMENT + _MAIN_SCRIPT)
