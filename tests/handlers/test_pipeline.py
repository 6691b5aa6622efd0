"""The handlers together: replays change nothing, and the order of delivery does not matter;
and handlers/pipeline.py, the composition root's pick, runs every one of them."""

from __future__ import annotations

import pkgutil
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import handlers
from backend import menu
from backend.states import Channel, Fulfillment, OrderStatus
from handlers import pipeline
from handlers.adapters import SandboxGateway
from handlers.sdk import Context, Event, definition_of
from tests.conftest import running
from tests.handlers.harness import BIG_ORDER, Kitchen

SEEDS = [1, 2, 3, 4, 5, 6]


def test_replaying_every_event_of_a_completed_order_twice_changes_nothing(
    kitchen: Kitchen,
) -> None:
    order_id = kitchen.place(*BIG_ORDER)
    kitchen.run(order_id)
    before = kitchen.state(order_id)
    assert before["status"] is OrderStatus.COMPLETED

    replays = kitchen.replay_all(order_id) + kitchen.replay_all(order_id)

    # placed 1, validated 1, paid 2, in kitchen 0, ready 2, out for delivery 0, completed 1
    assert replays == 2 * 7
    assert kitchen.state(order_id) == before
    order = kitchen.order(order_id)
    assert before["payments"] == [(order.total_cents, "CARD")]
    assert len(kitchen.gateway.charges()) == 1
    assert len(kitchen.tickets()) == 1
    assert kitchen.rows(
        "SELECT id, stock, available FROM menu_items WHERE id IN (?, ?)", ("burrata", "tiramisu")
    ) == [("burrata", 0, 0), ("tiramisu", 28, 1)]
    assert [m["text"].split(" ")[:4] for m in kitchen.sms_file()] == [
        ["Your", "order", f"#{order.number}", "is"]
    ]
    points = order.total_cents // 100
    assert before["loyalty"] == [(points, points)]
    assert before["driver"] == [("driver-amara",)]


def test_replaying_a_rejected_orders_events_sends_one_message(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("tiramisu", 1))
    kitchen.call(kitchen.backend.db.write(lambda tx: menu.set_available(tx, "tiramisu", False)))
    kitchen.run(order_id)
    before = kitchen.state(order_id)
    kitchen.replay_all(order_id)
    kitchen.replay_all(order_id)
    assert kitchen.state(order_id) == before
    assert before["status"] is OrderStatus.REJECTED
    assert len(kitchen.sms_file()) == 1


@pytest.fixture(scope="module")
def in_order_state(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Channel, Fulfillment], dict[str, object]]]:
    """The end state of BIG_ORDER delivered in event order, per channel and fulfillment."""
    states: dict[tuple[Channel, Fulfillment], dict[str, object]] = {}
    kitchens: list[Kitchen] = []

    def state(channel: Channel, fulfillment: Fulfillment) -> dict[str, object]:
        if (channel, fulfillment) not in states:
            kitchen = Kitchen(tmp_path_factory.mktemp("in-order"))
            kitchens.append(kitchen)
            order_id = kitchen.place(*BIG_ORDER, channel=channel, fulfillment=fulfillment)
            kitchen.run(order_id)
            states[channel, fulfillment] = kitchen.state(order_id)
        return states[channel, fulfillment]

    yield state
    for kitchen in kitchens:
        kitchen.stop()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("channel", "fulfillment"),
    [(Channel.PHONE, Fulfillment.DELIVERY), (Channel.COUNTER, Fulfillment.TAKEAWAY)],
)
def test_events_delivered_in_any_order_end_in_the_same_state(
    kitchen: Kitchen,
    in_order_state: Callable[[Channel, Fulfillment], dict[str, object]],
    seed: int,
    channel: Channel,
    fulfillment: Fulfillment,
) -> None:
    expected = in_order_state(channel, fulfillment)
    assert expected["status"] is OrderStatus.COMPLETED
    order_id = kitchen.place(*BIG_ORDER, channel=channel, fulfillment=fulfillment)
    rng = random.Random(seed)
    # Any due delivery or staff step next, and now and then one repeated.
    kitchen.run(order_id, rng.choice, rng=rng, duplicates=0.3)
    assert kitchen.state(order_id) == expected


# -- the composition root ------------------------------------------------------------

# The handler package's modules that hold no handler.
NOT_HANDLERS = {"adapters", "pipeline", "sdk"}


def test_the_pipeline_runs_every_handler_module_of_the_package() -> None:
    # Handler modules are picked by plain import now, not found: a new one left out of
    # handlers/pipeline.py would never run, and nothing else would say so.
    modules = {
        module.name
        for module in pkgutil.iter_modules(handlers.__path__)
        if not module.name.startswith("_") and module.name not in NOT_HANDLERS
    }
    picked = {function.__module__.removeprefix("handlers.") for function in pipeline.HANDLERS}
    assert picked == modules
    assert [d.name for d in pipeline.definitions()] == sorted(modules)


def test_a_function_not_registered_as_a_handler_is_refused_by_name() -> None:
    async def forgotten(event: Event, ctx: Context) -> None:
        pass

    with pytest.raises(ValueError, match=r"forgotten.* is not a registered handler: decorate"):
        definition_of(forgotten)


def test_main_composes_the_backend_of_the_pipeline_and_the_settings_adapters(
    tmp_path: Path,
) -> None:
    # tests.conftest.running builds every test's backend through main.restaurant_backend.
    with running(tmp_path / "passline.db", gateway_failure_rate=0.25) as backend:
        assert [d.name for d in backend.registry] == [d.name for d in pipeline.definitions()]
        gateway = backend.adapters.payment
        assert isinstance(gateway, SandboxGateway)
        assert gateway.failure_rate == 0.25
        assert gateway.path.parent == tmp_path / "sandbox"  # beside the database
