"""The customer pages beside the API: served with their security headers, and a page of
another origin cannot use the API."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.embedded import Backend
from backend.web import CONTENT_SECURITY_POLICY, content_security_policy
from tests.graphql_client import GraphQLHTTP


def base(backend: Backend) -> str:
    return backend.url.removesuffix("/graphql")


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", 'data-channel="WEB"'),
        ("/order", 'data-channel="WEB"'),
        ("/order/", 'data-channel="WEB"'),
        ("/kiosk", "/web/js/order.js"),  # the order page, which turns itself into the kiosk
        ("/pickup", "Ready for pickup"),
        ("/orders/0193abcd-0000-7000-8000-000000000000", "/web/js/status.js"),
    ],
)
async def test_each_page_is_served_with_its_policy(
    backend: Backend, http: httpx.AsyncClient, path: str, marker: str
) -> None:
    response = await http.get(base(backend) + path)
    assert response.status_code == 200
    assert marker in response.text
    assert response.headers["content-type"].startswith("text/html")
    host = base(backend).removeprefix("http://")
    assert response.headers["content-security-policy"] == content_security_policy(host)
    assert response.headers["referrer-policy"] == "no-referrer"  # the token is in the URL
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_assets_are_served_and_nothing_else(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    script = await http.get(base(backend) + "/web/js/order.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    host = base(backend).removeprefix("http://")
    assert script.headers["content-security-policy"] == content_security_policy(host)
    vendor = await http.get(base(backend) + "/web/vendor/graphql-ws.min.js")
    assert "graphqlWs" in vendor.text
    for path in ("/web/../../backend/settings.py", "/web/%2e%2e/menu.json", "/web/nothing.js"):
        assert (await http.get(base(backend) + path)).status_code == 404, path
    assert (await http.get(base(backend) + "/orders/a/b")).status_code == 404
    posted = await http.post(base(backend) + "/order", content=b"x")
    assert posted.status_code == 405


async def test_the_policy_names_the_pages_own_websocket(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    """Safari before 16 counts no WebSocket as 'self': the socket's own ws: and wss:
    addresses, of the host the page was asked from, are named beside it."""
    page = await http.get(base(backend) + "/pickup", headers={"Host": "192.168.1.20:8787"})
    policy = page.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["connect-src"] == [
        "'self'",
        "ws://192.168.1.20:8787",
        "wss://192.168.1.20:8787",
    ]
    assert directives["script-src"] == ["'self'"]
    # A Host that would write a directive of its own is not copied into the policy.
    forged = await http.get(base(backend) + "/", headers={"Host": "a.example; script-src *"})
    assert forged.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert content_security_policy("[::1]:8787").count("ws://[::1]:8787") == 1


async def test_a_page_of_another_origin_cannot_use_the_api(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    query = {"query": "{ menu { id } }"}
    foreign = await http.post(backend.url, json=query, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = base(backend)
    same = await http.post(backend.url, json=query, headers={"Origin": own})
    assert same.status_code == 200 and "errors" not in same.json()
    # A client that is no browser sends no Origin: the API is its to use.
    assert (await http.post(backend.url, json=query)).status_code == 200


async def test_the_pickup_board_is_public_and_carries_numbers_only(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    placed = await public.place(("margherita", 1), customerName="Ada Lovelace")
    order_id = placed["order"]["id"]
    status = "PLACED"
    for _ in range(400):  # the restaurant's handlers take it to the kitchen
        status = (
            await staff.data("query($id: ID!) { order(id: $id) { status } }", {"id": order_id})
        )["order"]["status"]
        if status == "IN_KITCHEN":
            break
        await asyncio.sleep(0.025)
    assert status == "IN_KITCHEN"
    board = (await public.data("{ pickupBoard { number state } }"))["pickupBoard"]
    assert board == [{"number": placed["order"]["number"], "state": "PREPARING"}]
    # The type has nothing else to ask for.
    error = await public.error("{ pickupBoard { number customerName } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
