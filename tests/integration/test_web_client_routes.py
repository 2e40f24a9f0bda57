"""The web client's pages and assets (graph/web_client_routes.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from graph.web_client_routes import CLIENT_PATHS, CONTENT_SECURITY_POLICY, web_client_routes

PAGE = '<!doctype html><script type="module" src="/assets/app.js"></script>'


def client_for(dist: Path) -> httpx.AsyncClient:
    app = Starlette(routes=web_client_routes(dist))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    built.mkdir()
    (built / "index.html").write_text(PAGE)
    (built / "app.js").write_text("console.log('app');")
    (tmp_path / "secret.txt").write_text("outside dist")
    return built


@pytest.mark.parametrize(
    "path", ["/", "/signin", "/dashboard", "/admin", "/plans/abc", "/plans/abc/progress"]
)
async def test_every_client_route_answers_the_page_under_a_strict_policy(
    dist: Path, path: str
) -> None:
    async with client_for(dist) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.text == PAGE
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_assets_are_served_and_nothing_outside_dist(dist: Path) -> None:
    async with client_for(dist) as client:
        script = await client.get("/assets/app.js")
        escape = await client.get("/assets/../secret.txt")
        encoded = await client.get("/assets/%2e%2e/secret.txt")
        unknown = await client.get("/plans/abc/other")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "outside dist" not in escape.text and "outside dist" not in encoded.text
    assert unknown.status_code == 404


async def test_an_unbuilt_client_says_how_to_build_it(tmp_path: Path) -> None:
    async with client_for(tmp_path / "missing") as client:
        response = await client.get("/")
        asset = await client.get("/assets/app.js")
    assert response.status_code == 503
    assert "make webclient" in response.text
    assert asset.status_code == 404


def test_the_routes_listed_are_the_clients_own() -> None:
    # graph/webclient/src/main.js routes the same paths in the browser.
    main = (Path(__file__).parents[2] / "graph" / "webclient" / "src" / "main.js").read_text()
    for path in ("/signin", "/dashboard", "/admin", "/progress"):
        assert path in main
    assert len(CLIENT_PATHS) == 6
