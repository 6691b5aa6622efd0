"""The contract in docs/ is the code's: the printed schema, and the UI's copies of it.

``docs/schema.graphql`` is what outside clients code against; it must be exactly what
the code serves. The dashboard may not import the backend (it is a GraphQL client
like any other), so it keeps its own lists of statuses, event types and staff
actions; these tests hold each copy to the schema and the backend's tables. And
``docs/api.md`` names every event type, error code, status and root field there is.
"""

from __future__ import annotations

import difflib
import re

import pytest
from graphql import GraphQLEnumType, GraphQLSchema, build_schema, parse, validate

from backend import settings
from backend.attempts import Outcome
from backend.auth import POLICY
from backend.errors import ErrorCode
from backend.states import ORDER_TRANSITIONS, OrderAction, OrderStatus
from backend.states import DeliveryStatus as BackendDeliveryStatus
from handlers.sdk import EventType
from tools.schema import REGENERATE, SCHEMA_FILE, printed
from ui.controllers.board import MUTATIONS, RECALL, REPRINT
from ui.controllers.menu import MENU_ITEM_CHANGED
from ui.models.cart import MAX_QUANTITY
from ui.models.events import SEVERITY, DeliveryStatus
from ui.models.stages import ACTIONS_OF, LABEL_OF, STAGE_OF, Action, Status
from ui.models.stations import Station
from ui.views.event_log import EVENT_TYPES
from ui.views.new_order import CHANNELS, FULFILLMENTS
from ui.views.paused_banner import STATUS_AFTER


def test_checked_in_schema_is_the_one_the_code_serves() -> None:
    expected = printed()
    found = SCHEMA_FILE.read_text(encoding="utf-8")
    if found != expected:
        diff = "".join(
            difflib.unified_diff(
                found.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                "docs/schema.graphql (checked in)",
                "printed from the code",
                n=1,
            )
        )
        raise AssertionError(f"docs/schema.graphql is out of date; run {REGENERATE}\n{diff}")


# -- the dashboard's copies ----------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


def enum_values(schema: GraphQLSchema, name: str) -> list[str]:
    enum = schema.get_type(name)
    assert isinstance(enum, GraphQLEnumType), f"docs/schema.graphql has no enum {name}"
    return list(enum.values)


def test_the_board_knows_every_order_status(schema: GraphQLSchema) -> None:
    assert [status.value for status in Status] == enum_values(schema, "OrderStatus")
    assert set(STAGE_OF) == set(LABEL_OF) == set(ACTIONS_OF) == set(Status)


def test_the_board_knows_every_station(schema: GraphQLSchema) -> None:
    assert [station.value for station in Station] == enum_values(schema, "Station")


def test_the_event_log_knows_every_delivery_status(schema: GraphQLSchema) -> None:
    assert [status.value for status in DeliveryStatus] == enum_values(schema, "DeliveryStatus")
    assert set(SEVERITY) == set(DeliveryStatus)


def test_the_new_order_dialog_offers_only_the_api_s_channels_and_fulfillments(
    schema: GraphQLSchema,
) -> None:
    # Staff enter phone and counter orders; WEB and KIOSK are the public's.
    assert {value for _, value in CHANNELS} <= set(enum_values(schema, "Channel"))
    assert {value for _, value in FULFILLMENTS} == set(enum_values(schema, "Fulfillment"))
    assert MAX_QUANTITY == settings.MAX_QUANTITY


def test_the_event_log_filter_lists_every_event_type() -> None:
    assert list(EVENT_TYPES) == [event_type.value for event_type in EventType]
    assert EventType(MENU_ITEM_CHANGED) is EventType.MENU_ITEM_CHANGED


def test_the_paused_banner_knows_the_status_each_order_event_leaves() -> None:
    # The order events and the status their transition leads to (order_placed: PLACED).
    after = {t.event_type.value: t.target.value for t in ORDER_TRANSITIONS.values()}
    after[EventType.ORDER_PLACED.value] = OrderStatus.PLACED.value
    assert {event: status.value for event, status in STATUS_AFTER.items()} == after


@pytest.mark.parametrize("status", list(Status))
def test_the_board_offers_exactly_the_actions_the_transition_table_allows(
    status: Status,
) -> None:
    # The dashboard's Action and the backend's OrderAction share their member names.
    allowed = {
        action
        for action in Action
        if OrderStatus(status) in ORDER_TRANSITIONS[OrderAction[action.name]].sources
    }
    assert set(ACTIONS_OF[status]) == allowed


def test_the_board_s_mutations_are_valid_against_the_schema(schema: GraphQLSchema) -> None:
    assert set(MUTATIONS) == set(Action)
    for action, document in [*MUTATIONS.items(), ("reprint", REPRINT), ("recall", RECALL)]:
        errors = validate(schema, parse(document))
        assert errors == [], f"{action}: {errors}"


# -- docs/api.md ---------------------------------------------------------------------


API_MD = SCHEMA_FILE.parent / "api.md"
CODE_SPAN = re.compile(r"`[^`\n]+`")


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("event type", [str(event_type) for event_type in EventType]),
        ("error code", [str(code) for code in ErrorCode]),
        ("order status", [str(status) for status in OrderStatus]),
        ("delivery status", [str(status) for status in BackendDeliveryStatus]),
        ("attempt outcome", [str(outcome) for outcome in Outcome]),
        ("root field", list(POLICY)),
    ],
)
def test_api_md_documents_every(kind: str, names: list[str]) -> None:
    text = API_MD.read_text(encoding="utf-8")
    # A root field may be named with its type (`Query.menu`) or, in a list, without it.
    missing = [
        name
        for name in names
        if not {f"`{name}`", f"`{name.rpartition('.')[2]}`"} & set(CODE_SPAN.findall(text))
    ]
    assert missing == [], f"docs/api.md does not mention the {kind}s {missing}"
