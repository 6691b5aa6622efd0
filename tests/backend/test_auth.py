"""Who may do what, over the real server (docs/api.md, "Authentication and roles").

No token is the public ordering surface (menu, WEB and KIOSK orders); the staff token
may do everything; an order's accessToken reads and follows that order only; a token
that is not valid is refused on HTTP and on the WebSocket's connection_init.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from backend import orders
from backend.auth import STAFF_TOKEN_ENV, STAFF_TOKEN_FILE, Tokens, staff_token
from backend.embedded import Backend
from backend.states import OrderAction
from tests.backend._api import refusal, without_handlers
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import (
    PLACE_ORDER,
    GraphQLHTTP,
    GraphQLWS,
    open_ws,
    order_input,
    until_closed,
)

READ_ORDER = "query($id: ID!) { order(id: $id) { id status items { menuItemId } } }"
FOLLOW_ORDER = "subscription($id: ID!) { order(id: $id) { id status } }"
MARK_READY = "mutation($id: ID!) { markReady(orderId: $id) { status } }"
COMPLETE = "mutation($id: ID!) { completeOrder(orderId: $id) { status } }"
CANCEL = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "no show") { status } }'
SET_AVAILABLE = """
mutation($available: Boolean!) {
  setMenuItemAvailable(menuItemId: "cola", available: $available) { available }
}
"""

# What only the staff (and in-process handlers) may do, by root field.
STAFF_QUERIES = {
    "orders": "{ orders { id } }",
    "events": "{ events { seq } }",
    "event": "{ event(seq: 1) { seq } }",
    "handlers": "{ handlers { name } }",
}
STAFF_MUTATIONS = {
    "markReady": MARK_READY,
    "completeOrder": COMPLETE,
    "cancelOrder": CANCEL,
    "recallOrder": "mutation($id: ID!) { recallOrder(orderId: $id) { status } }",
    "markItemDone": "mutation($id: ID!) { markItemDone(orderId: $id, line: 0) { status } }",
    "markItemNotDone": "mutation($id: ID!) { markItemNotDone(orderId: $id, line: 0) { status } }",
    "retryPayment": "mutation($id: ID!) { retryPayment(orderId: $id) { status } }",
    "takeCash": "mutation($id: ID!) { takeCash(orderId: $id, amountCents: 100) { status } }",
    "setMenuItemAvailable": SET_AVAILABLE,
    "setMenuItemStock": 'mutation { setMenuItemStock(menuItemId: "cola", stock: 7) { stock } }',
    "markStationDone": "mutation($id: ID!) { markStationDone(orderId: $id, station: PIZZA) "
    "{ status } }",
    "markStationNotDone": "mutation($id: ID!) { markStationNotDone(orderId: $id, "
    "station: PIZZA) { status } }",
    "setCategoryStation": 'mutation { setCategoryStation(category: "Drinks", station: COLD) '
    "{ station } }",
}
# A step of the pipeline: only the handlers, in-process, may take it (docs/api.md).
HANDLER_ONLY = 'mutation($id: ID!) { markValidated(orderId: $id, idempotencyKey: "k") { id } }'
STAFF_SUBSCRIPTIONS = {
    "orderChanges": "subscription { orderChanges(afterSeq: 0) { seq } }",
    "eventLog": 'subscription { eventLog(after: "0") { cursor } }',
}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One backend for the module; orders stay where a test puts them."""
    yield from without_handlers(tmp_path_factory.mktemp("auth") / "passline.db")


@dataclass
class Customer:
    """Someone who placed an order without a token, and holds its accessToken."""

    order_id: str
    token: str
    client: GraphQLHTTP


@pytest.fixture
async def customer(public: GraphQLHTTP) -> Customer:
    placed = await public.place(("margherita", 1))
    token = placed["accessToken"]
    return Customer(placed["order"]["id"], token, GraphQLHTTP(public.client, public.url, token))


@pytest.fixture
async def other_order(public: GraphQLHTTP) -> str:
    """An order that is not the customer's."""
    return str((await public.place())["order"]["id"])


def variables(query: str, order_id: str) -> dict[str, Any]:
    """What ``query`` needs: the order id if it takes one, the availability to set if that."""
    if "$available" in query:
        return {"available": False}
    return {"id": order_id} if "$id" in query else {}


async def refused(
    staff: GraphQLHTTP, client: GraphQLHTTP, query: str, order_id: str
) -> dict[str, Any]:
    """The ``extensions`` of the error of ``query`` about ``order_id``; nothing changed."""
    return await refusal(staff, client, query, variables(query, order_id))


async def subscription_refused(
    url: str, token: str | None, query: str, order_id: str
) -> dict[str, Any]:
    """The ``extensions`` of the error that ends a subscription made with ``token``."""
    ws = await GraphQLWS.connect(url, token)
    try:
        await ws.subscribe("s", query, variables(query, order_id))
        extensions: dict[str, Any] = (await ws.error("s"))["extensions"]
    finally:
        await ws.close()
    return extensions


# -- no token: the public ordering surface ----------------------------------------------


async def test_no_token_reads_the_menu(public: GraphQLHTTP) -> None:
    menu = (await public.data("{ menu { id priceCents available } }"))["menu"]
    assert {"id": "margherita", "priceCents": 1200, "available": True} in menu


@pytest.mark.parametrize("channel", ["WEB", "KIOSK"])
async def test_no_token_places_web_and_kiosk_orders(
    staff: GraphQLHTTP, public: GraphQLHTTP, channel: str
) -> None:
    placed = await public.place(("cola", 2), channel=channel)
    assert placed["order"]["channel"] == channel
    assert placed["accessToken"]
    assert (await staff.data(READ_ORDER, {"id": placed["order"]["id"]}))["order"]


@pytest.mark.parametrize("channel", ["COUNTER", "PHONE"])
async def test_no_token_cannot_place_counter_or_phone_orders(
    staff: GraphQLHTTP, public: GraphQLHTTP, channel: str
) -> None:
    extensions = await refusal(staff, public, PLACE_ORDER, {"input": order_input(channel=channel)})
    assert extensions == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    "query",
    [READ_ORDER, *STAFF_QUERIES.values(), *STAFF_MUTATIONS.values()],
    ids=["order", *STAFF_QUERIES, *STAFF_MUTATIONS],
)
async def test_no_token_may_do_nothing_else(
    staff: GraphQLHTTP, public: GraphQLHTTP, customer: Customer, query: str
) -> None:
    extensions = await refused(staff, public, query, customer.order_id)
    assert extensions == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    "query", [FOLLOW_ORDER, *STAFF_SUBSCRIPTIONS.values()], ids=["order", *STAFF_SUBSCRIPTIONS]
)
async def test_no_token_subscribes_to_nothing(
    public: GraphQLHTTP, customer: Customer, query: str
) -> None:
    extensions = await subscription_refused(public.url, None, query, customer.order_id)
    assert extensions == {"code": "UNAUTHENTICATED"}


# -- the staff token: everything ----------------------------------------------------------


def advance(backend: Backend, order_id: str, *actions: OrderAction) -> None:
    """Do what the pipeline's handlers would, so that the order is ready for the staff."""
    for action in actions:
        backend.call(backend.db.write(partial(orders.transition, order_id=order_id, action=action)))


async def test_staff_reads_everything(staff: GraphQLHTTP, customer: Customer) -> None:
    query = """
    query($id: ID!) {
      menu { id } orders { id } order(id: $id) { id } events { seq }
      event(seq: 1) { seq } handlers { name }
    }
    """
    data = await staff.data(query, {"id": customer.order_id})
    assert data["order"] == {"id": customer.order_id}
    assert {"id": customer.order_id} in data["orders"]
    assert data["event"] == {"seq": 1}


@pytest.mark.parametrize("channel", ["COUNTER", "PHONE", "WEB", "KIOSK"])
async def test_staff_places_orders_on_every_channel(staff: GraphQLHTTP, channel: str) -> None:
    assert (await staff.place(channel=channel))["order"]["channel"] == channel


async def test_staff_takes_an_order_to_the_end(
    backend: Backend, staff: GraphQLHTTP, customer: Customer
) -> None:
    advance(backend, customer.order_id, OrderAction.VALIDATE, OrderAction.RECORD_PAYMENT)
    order = {"id": customer.order_id}
    assert await staff.data(MARK_READY, order) == {"markReady": {"status": "READY"}}
    assert await staff.data(COMPLETE, order) == {"completeOrder": {"status": "COMPLETED"}}


async def test_staff_cancels_orders_and_changes_the_menu(
    staff: GraphQLHTTP, customer: Customer
) -> None:
    cancelled = await staff.data(CANCEL, {"id": customer.order_id})
    assert cancelled == {"cancelOrder": {"status": "CANCELLED"}}
    for available in (False, True):
        changed = await staff.data(SET_AVAILABLE, {"available": available})
        assert changed == {"setMenuItemAvailable": {"available": available}}


async def test_staff_subscribes_to_everything(staff: GraphQLHTTP, customer: Customer) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    subscriptions = {**STAFF_SUBSCRIPTIONS, "order": FOLLOW_ORDER}
    for op_id, query in subscriptions.items():
        await ws.subscribe(op_id, query, variables(query, customer.order_id))
    served: set[str] = set()
    while served != subscriptions.keys():  # each replays from its start, or shows the order
        message = await ws.receive()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        served.add(message["id"])
    await ws.close()


async def test_the_pipelines_steps_are_refused_to_every_role_but_the_handlers(
    staff: GraphQLHTTP, public: GraphQLHTTP, customer: Customer
) -> None:
    for client, code in [
        (public, "UNAUTHENTICATED"),
        (customer.client, "FORBIDDEN"),
        (staff, "FORBIDDEN"),
    ]:
        assert await refused(staff, client, HANDLER_ONLY, customer.order_id) == {"code": code}


# -- an order's accessToken: that order only ----------------------------------------------


async def test_a_customer_reads_its_own_order(customer: Customer) -> None:
    data = await customer.client.data(READ_ORDER, {"id": customer.order_id})
    assert data["order"]["id"] == customer.order_id
    assert data["order"]["items"] == [{"menuItemId": "margherita"}]


async def test_a_customer_follows_its_own_order_live(
    staff: GraphQLHTTP, customer: Customer
) -> None:
    ws = await GraphQLWS.connect(staff.url, customer.token)
    await ws.subscribe("mine", FOLLOW_ORDER, {"id": customer.order_id})
    assert (await ws.next_data("mine"))["order"]["status"] == "PLACED"
    await staff.data(CANCEL, {"id": customer.order_id})
    assert (await ws.next_data("mine"))["order"]["status"] == "CANCELLED"
    await ws.close()


async def test_a_customer_is_forbidden_another_order(
    staff: GraphQLHTTP, customer: Customer, other_order: str
) -> None:
    extensions = await refused(staff, customer.client, READ_ORDER, other_order)
    assert extensions == {"code": "FORBIDDEN"}
    extensions = await subscription_refused(staff.url, customer.token, FOLLOW_ORDER, other_order)
    assert extensions == {"code": "FORBIDDEN"}


@pytest.mark.parametrize(
    "query",
    [*STAFF_QUERIES.values(), *STAFF_MUTATIONS.values()],
    ids=[*STAFF_QUERIES, *STAFF_MUTATIONS],
)
async def test_a_customer_is_forbidden_what_only_staff_may_do(
    staff: GraphQLHTTP, customer: Customer, query: str
) -> None:
    extensions = await refused(staff, customer.client, query, customer.order_id)
    assert extensions == {"code": "FORBIDDEN"}


@pytest.mark.parametrize("query", STAFF_SUBSCRIPTIONS.values(), ids=STAFF_SUBSCRIPTIONS.keys())
async def test_a_customer_is_forbidden_the_staff_subscriptions(
    staff: GraphQLHTTP, customer: Customer, query: str
) -> None:
    extensions = await subscription_refused(staff.url, customer.token, query, customer.order_id)
    assert extensions == {"code": "FORBIDDEN"}


# -- tokens that are not valid -------------------------------------------------------------


def tampered(token: str, other_order: str) -> str:
    prefix, order_id, signature = token.split(".")
    return f"Bearer {prefix}.{order_id}.{signature[:-1]}{'B' if signature[-1] == 'A' else 'A'}"


def moved(token: str, other_order: str) -> str:
    prefix, _, signature = token.split(".")
    return f"Bearer {prefix}.{other_order}.{signature}"


def from_another_database(token: str, other_order: str) -> str:
    _, order_id, _ = token.split(".")
    return f"Bearer {Tokens(STAFF_TOKEN, b'another secret').customer_token(order_id)}"


# ``Authorization`` values that must be refused, from the customer's token and another order.
FORGERIES: dict[str, Callable[[str, str], str]] = {
    "tampered signature": tampered,
    "signature moved to another order": moved,
    "token of another database": from_another_database,
    "wrong staff token": lambda token, other: f"Bearer {STAFF_TOKEN}x",
    "staff token, Basic scheme": lambda token, other: f"Basic {STAFF_TOKEN}",
    "Basic xyz": lambda token, other: "Basic xyz",
    "scheme only": lambda token, other: "Bearer",
    "no scheme": lambda token, other: STAFF_TOKEN,
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.parametrize(
    "query", ["{ menu { id } }", READ_ORDER, PLACE_ORDER], ids=["menu", "order", "placeOrder"]
)
async def test_a_forged_token_is_unauthenticated_on_http(
    staff: GraphQLHTTP,
    customer: Customer,
    other_order: str,
    forge: Callable[[str, str], str],
    query: str,
) -> None:
    forged = GraphQLHTTP(staff.client, staff.url, None, forge(customer.token, other_order))
    extensions = await refusal(
        staff, forged, query, {"id": customer.order_id, "input": order_input()}
    )
    assert extensions == {"code": "UNAUTHENTICATED"}


async def connection_init_close(url: str, authorization: object) -> int | None:
    """The close code of a connection whose connection_init carries ``authorization``."""
    connection = await open_ws(url)
    payload = {"authorization": authorization}
    await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
    messages, code = await until_closed(connection)
    assert messages == []  # no connection_ack
    return code


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_forged_token_is_closed_4403_on_connection_init(
    staff: GraphQLHTTP, customer: Customer, other_order: str, forge: Callable[[str, str], str]
) -> None:
    assert await connection_init_close(staff.url, forge(customer.token, other_order)) == 4403


@pytest.mark.parametrize(
    "authorization",
    [42, True, [f"Bearer {STAFF_TOKEN}"], {"Bearer": STAFF_TOKEN}],
    ids=["a number", "true", "a list", "an object"],
)
async def test_an_authorization_that_is_not_a_string_is_closed_4403_on_connection_init(
    staff: GraphQLHTTP, authorization: object
) -> None:
    assert await connection_init_close(staff.url, authorization) == 4403


# -- where the staff token comes from -----------------------------------------------------


@pytest.fixture
def no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STAFF_TOKEN_ENV, raising=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_given_staff_token_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STAFF_TOKEN_ENV, "from-the-environment")
    assert staff_token(tmp_path / "passline.db", "given") == "given"
    assert not (tmp_path / STAFF_TOKEN_FILE).exists()


def test_the_environment_variable_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / STAFF_TOKEN_FILE).write_text("from-the-file\n")
    monkeypatch.setenv(STAFF_TOKEN_ENV, "from-the-environment")
    assert staff_token(tmp_path / "passline.db") == "from-the-environment"


@pytest.mark.usefixtures("no_env_token")
def test_without_either_a_private_token_file_is_made_beside_the_database(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "passline.db"  # the folder does not exist yet
    token = staff_token(db_path)
    path = db_path.parent / STAFF_TOKEN_FILE
    assert len(token) >= 32
    assert path.read_text().strip() == token
    assert mode(path) == 0o600
    assert staff_token(db_path) == token  # read back on the next start


@pytest.mark.usefixtures("no_env_token")
def test_an_empty_token_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / STAFF_TOKEN_FILE
    path.write_text("\n")
    path.chmod(0o644)
    token = staff_token(tmp_path / "passline.db")
    assert token
    assert path.read_text().strip() == token
    assert mode(path) == 0o600


# -- the WebSocket's Origin ----------------------------------------------------------------


async def test_a_websocket_from_a_foreign_origin_is_refused(staff: GraphQLHTTP) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await open_ws(staff.url, origin="http://evil.example")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("same_origin", [False, True], ids=["no Origin", "same Origin"])
async def test_a_websocket_with_no_or_the_same_origin_is_accepted(
    staff: GraphQLHTTP, same_origin: bool
) -> None:
    origin = staff.url.removesuffix("/graphql") if same_origin else None
    connection = await open_ws(staff.url, origin=origin)
    await connection.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await connection.recv()) == {"type": "connection_ack", "payload": None}
    await connection.close()
