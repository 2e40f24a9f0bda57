"""graph.app.WebhookFirst: webhook POSTs go straight to their route, and get the answers
the router would give them: the route's own, or Starlette's 500 when it fails."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from graph.app import WebhookFirst
from infra.wiring import WEBHOOK_PATH


class Webhook:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.calls = fail, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.fail:
            raise RuntimeError("the route failed")
        await PlainTextResponse(f"hook {scope['app'] is not None}")(scope, receive, send)


async def other(request: object) -> PlainTextResponse:
    return PlainTextResponse("other")


def app(webhook: Webhook) -> WebhookFirst:
    routes = [Route(WEBHOOK_PATH, webhook, methods=["POST"]), Route("/other", other)]
    return WebhookFirst(webhook, routes=routes)


def client(asgi: WebhookFirst) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api.test")


async def test_a_post_goes_to_the_webhook_and_the_rest_to_the_router() -> None:
    webhook = Webhook()
    async with client(app(webhook)) as http:
        hook = await http.post(WEBHOOK_PATH, content=b"{}")
        assert (hook.status_code, hook.text) == (200, "hook True")
        assert (await http.get("/other")).text == "other"
        assert (await http.get(WEBHOOK_PATH)).status_code == 405  # the router's answer
        assert (await http.post(WEBHOOK_PATH + "/x")).status_code == 404
    assert webhook.calls == 1


async def test_a_failing_webhook_is_answered_500_and_its_error_raised() -> None:
    async with client(app(Webhook(fail=True))) as http:
        response = await http.post(WEBHOOK_PATH, content=b"{}")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    strict = httpx.ASGITransport(app=app(Webhook(fail=True)))
    async with httpx.AsyncClient(transport=strict, base_url="http://api.test") as http:
        with pytest.raises(RuntimeError, match="the route failed"):
            await http.post(WEBHOOK_PATH, content=b"{}")
