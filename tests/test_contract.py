"""The contract in docs/ is the code's: the printed schema, and the UI's copies of it.

``docs/schema.graphql`` is what outside clients code against; it must be exactly what
the code serves. The dashboard may not import the backend (it is a GraphQL client
like any other), so it keeps its own lists of statuses, event types and staff
actions; these tests hold each copy to the schema and the backend's tables. And
``docs/api.md`` names every event type, error code, status and root field there is.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLEnumType,
    GraphQLSchema,
    ListValueNode,
    StringValueNode,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

import ui
from backend import settings
from backend.attempts import Outcome
from backend.auth import POLICY
from backend.errors import ErrorCode
from backend.states import ORDER_TRANSITIONS, OrderAction, OrderStatus
from backend.states import DeliveryStatus as BackendDeliveryStatus
from handlers._order import OrderStatus as HandlersOrderStatus
from handlers.sdk import (
    EventType,
    LineModifierSnapshot,
    OrderLineSnapshot,
    OrderPaidPayload,
    OrderSnapshot,
    PaymentSnapshot,
)
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


def test_the_handlers_know_every_order_status(schema: GraphQLSchema) -> None:
    # handlers/ may import neither the backend nor the UI: a third copy, held here.
    assert [status.value for status in HandlersOrderStatus] == enum_values(schema, "OrderStatus")


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


# -- every GraphQL document of the dashboard -----------------------------------------

UI_ROOT = Path(ui.__file__).parent
# Where a document starts: an operation keyword, or a query's shorthand braces.
OPERATION = re.compile(r"\s*(?:(?:query|mutation|subscription)\b|\{\s*\w)")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


def ui_documents() -> dict[str, str]:
    """Every document the dashboard's modules hold at module level, by where it is
    (``module.NAME``); what they build at import (f-strings, fragments added) included."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages([str(UI_ROOT)], "ui."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            for n, text in enumerate(_strings(value)):
                if OPERATION.match(text):
                    found[
                        f"{info.name}.{name}" + (f"[{n}]" if not isinstance(value, str) else "")
                    ] = text
    return found


def _literal_starts() -> list[tuple[str, str]]:
    """(where, the text before its first interpolation) of each string literal in ui/
    that starts a document: what :func:`ui_documents` must have found."""
    starts = []
    for path in sorted(UI_ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                head = node.values[0] if node.values else None
                text = head.value if isinstance(head, ast.Constant) else ""
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if isinstance(text, str) and OPERATION.match(text) and "{" in text:
                where = f"{path.relative_to(UI_ROOT.parent)}:{node.lineno}"
                starts.append((where, text.split("{", 1)[0]))
    return starts


EVENT_TYPE_ARGUMENTS = ("type", "types")  # Query.events(type:), eventLog(types:)


def event_type_literals(document: DocumentNode) -> list[str]:
    """The strings a document gives an event-type argument in its text (not variables)."""
    found: list[str] = []

    class Collect(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value not in EVENT_TYPE_ARGUMENTS:
                return
            values = node.value.values if isinstance(node.value, ListValueNode) else [node.value]
            found.extend(value.value for value in values if isinstance(value, StringValueNode))

    visit(document, Collect())
    return found


def test_every_document_of_the_dashboard_is_found() -> None:
    documents = ui_documents()
    assert len(documents) > 30, sorted(documents)
    texts = list(documents.values())
    missing = [where for where, head in _literal_starts() if not any(head in t for t in texts)]
    # A document built inside a function would escape the checks below: keep them at
    # module level, where this test finds them.
    assert missing == [], f"documents not at a module's level: {missing}"


def test_every_document_of_the_dashboard_is_valid_against_the_schema(
    schema: GraphQLSchema,
) -> None:
    invalid = {}
    for where, text in ui_documents().items():
        errors = validate(schema, parse(text))
        if errors:
            invalid[where] = [error.message for error in errors]
    assert invalid == {}


def test_every_event_type_a_dashboard_document_names_is_an_event_type() -> None:
    named = [
        (where, literal)
        for where, text in ui_documents().items()
        for literal in event_type_literals(parse(text))
    ]
    assert named, "no document names an event type: is event_type_literals looking?"
    unknown = [(where, literal) for where, literal in named if literal not in set(EventType)]
    assert unknown == [], f"not event types (handlers.sdk.EventType): {unknown}"


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


def test_api_md_s_order_paid_example_has_every_field_of_its_payload() -> None:
    text = API_MD.read_text(encoding="utf-8")
    block = text.split("For example, `order_paid`:", 1)[1].split("```json", 1)[1]
    example = json.loads(block.split("```", 1)[0])
    order = example["order"]
    (line,) = order["items"]
    (modifier,) = line["modifiers"]
    assert list(example) == list(OrderPaidPayload.__annotations__)
    assert list(order) == list(OrderSnapshot.__annotations__)
    assert list(line) == list(OrderLineSnapshot.__annotations__)
    assert list(modifier) == list(LineModifierSnapshot.__annotations__)
    assert list(example["payment"]) == list(PaymentSnapshot.__annotations__)
