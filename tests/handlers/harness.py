"""A test runner for the restaurant's handlers: the test decides what is delivered when.

A :class:`Kitchen` is a real backend on a temporary database whose own runner has no
handlers, so nothing is delivered behind a test's back; the test delivers events to
the handler functions itself, with a :class:`handlers.sdk.Context` like the runner's
(in-process GraphQL as the ``handler`` role, the delivery's idempotency key, the
sandbox adapters on real files).
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from backend import events as event_log
from backend import orders
from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from backend.registry import Registry
from backend.settings import Settings
from backend.states import Allergen, Channel, Fulfillment, OrderAction, OrderStatus
from handlers.adapters import SandboxGateway, SandboxSms
from handlers.pipeline import adapters
from handlers.sdk import Context, Event
from handlers.sdk.adapters import Adapters
from main import restaurant_backend, restaurant_registry

T = TypeVar("T")

STAFF_TOKEN = "staff-token-for-handler-tests"
PHONE = "+44 20 7946 0001"
PHONE_E164 = "+442079460001"  # as the API keeps it
ADDRESS = "1 Pass Lane"
# A delivery order that runs one item out (burrata: 20 in stock) and takes from another.
BIG_ORDER = (("burrata", 20), ("tiramisu", 2), ("margherita", 1))

log = logging.getLogger("tests.handlers")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to one handler, as the runner would deliver it."""

    seq: int
    handler: str


@dataclass(frozen=True, slots=True)
class StaffStep:
    """What a person at the pass does once the order has got that far."""

    action: OrderAction


Step = Delivery | StaffStep


class Kitchen:
    """A started backend plus sandbox adapters in ``folder``; stop with :meth:`stop`."""

    def __init__(self, folder: Path, *, gateway_failure_rate: float = 0.0) -> None:
        self.folder = folder
        self.db_path = folder / "passline.db"
        self.adapters = adapters(folder, gateway_failure_rate=gateway_failure_rate, seed=7)
        self.backend: Backend = restaurant_backend(
            Settings(db_path=self.db_path, port=0, staff_token=STAFF_TOKEN),
            registry=Registry([]),
            adapters=self.adapters,
        )
        self.backend.start()
        assert self.backend.services is not None
        self.graphql = InProcessGraphQL(self.backend.schema, self.backend.services)
        assert isinstance(self.adapters.payment, SandboxGateway)
        assert isinstance(self.adapters.sms, SandboxSms)
        self.gateway: SandboxGateway = self.adapters.payment
        self.sms: SandboxSms = self.adapters.sms
        self.registry = restaurant_registry()

    def stop(self) -> None:
        self.backend.stop()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.backend.call(coroutine)

    # -- the order and what the staff do -------------------------------------------

    def place(
        self,
        *lines: tuple[str, int],
        channel: Channel = Channel.PHONE,
        fulfillment: Fulfillment = Fulfillment.DELIVERY,
        phone: str | None = PHONE,
        table: int | None = None,
        allergens: tuple[Allergen, ...] = (),
        line_allergens: Sequence[tuple[Allergen, ...]] = (),
        line_modifiers: Sequence[tuple[str, ...]] = (),
    ) -> str:
        """A new order; a DINE_IN one sits at table 7 unless ``table`` says otherwise;
        ``line_allergens`` and ``line_modifiers`` (modifier ids) are the first lines',
        in order."""
        line_allergens = [*line_allergens, *([()] * len(lines))]
        line_modifiers = [*line_modifiers, *([()] * len(lines))]
        request = orders.OrderRequest(
            lines=tuple(
                orders.LineRequest(item, quantity, allergens=named, modifier_ids=chosen)
                for (item, quantity), named, chosen in zip(
                    lines, line_allergens, line_modifiers, strict=False
                )
            ),
            channel=channel,
            fulfillment=fulfillment,
            customer_name="Ada",
            phone=phone,
            address=ADDRESS if fulfillment is Fulfillment.DELIVERY else None,
            table=table or (7 if fulfillment is Fulfillment.DINE_IN else None),
            allergens=allergens,
        )
        order = self.call(self.backend.db.write(lambda tx: orders.place_order(tx, request)))
        return order.id

    def staff(self, order_id: str, action: OrderAction, **details: str) -> None:
        self.call(
            self.backend.db.write(
                lambda tx: orders.transition(tx, order_id, action, details=details or None)
            )
        )

    def order(self, order_id: str) -> orders.Order:
        found = self.call(self.backend.db.read(lambda conn: orders.load_order(conn, order_id)))
        assert found is not None
        return found

    def events(self, order_id: str) -> list[Event]:
        records = self.call(
            self.backend.db.read(lambda conn: event_log.events_of_order(conn, order_id))
        )
        return [
            Event(r.seq, r.id, r.type, r.order_id, r.payload, r.created_at.isoformat(), 1)
            for r in records
        ]

    def event(self, order_id: str, event_type: str) -> Event:
        (found,) = [e for e in self.events(order_id) if e.type == event_type]
        return found

    # -- delivering ------------------------------------------------------------------

    def deliver(
        self, event: Event, handler: str, attempt: int = 1, *, adapters: Adapters | None = None
    ) -> None:
        """Run ``handler`` on ``event`` as the runner would (its key: event id + handler)."""
        definition = self.registry.get(handler)
        assert definition is not None and event.type in definition.events
        delivered = Event(
            event.seq,
            event.id,
            event.type,
            event.order_id,
            event.payload,
            event.created_at,
            attempt,
        )
        ctx = Context(
            event=delivered,
            graphql=self.graphql,
            log=logging.LoggerAdapter(log, {"handler": handler}),
            idempotency_key=f"{event.id}:{handler}",
            adapters=self.adapters if adapters is None else adapters,
        )

        async def run() -> None:
            await definition.function(delivered, ctx)

        self.call(run())

    def handle(self, order_id: str, event_type: str, handler: str, attempt: int = 1) -> None:
        """Deliver the order's (one) event of ``event_type`` to ``handler``."""
        self.deliver(self.event(order_id, event_type), handler, attempt)

    def paid(self, *lines: tuple[str, int], **options: Any) -> str:
        """A new order, validated and paid by the handlers."""
        order_id = self.place(*lines, **options)
        self.handle(order_id, "order_placed", "validate_order")
        self.handle(order_id, "order_validated", "charge_payment")
        assert self.order(order_id).status is OrderStatus.PAID
        return order_id

    def types(self, order_id: str) -> list[str]:
        return [event.type for event in self.events(order_id)]

    def subscribers(self, event_type: str) -> tuple[str, ...]:
        return self.registry.subscribers.get(event_type, ())

    def steps(self, order_id: str) -> list[Step]:
        """Every delivery the order's events call for, then the staff steps they allow."""
        events = self.events(order_id)
        found: list[Step] = [Delivery(e.seq, h) for e in events for h in self.subscribers(e.type)]
        types = {e.type for e in events}
        if "order_in_kitchen" in types:
            found.append(StaffStep(OrderAction.MARK_READY))
        delivery = self.order(order_id).fulfillment is Fulfillment.DELIVERY
        if "order_out_for_delivery" in types or ("order_ready" in types and not delivery):
            found.append(StaffStep(OrderAction.COMPLETE))
        return found

    def run(
        self,
        order_id: str,
        pick: Callable[[Sequence[Step]], Step] = lambda pending: pending[0],
        *,
        rng: random.Random | None = None,
        duplicates: float = 0.0,
    ) -> None:
        """Take the order as far as its events and the staff steps go.

        ``pick`` chooses the next step among those due: by default the first, which
        delivers in event order and lets the staff act only once nothing is pending.
        With ``rng``, a share ``duplicates`` of the steps is followed by a repeat of a
        delivery already made, as after a lost acknowledgement.
        """
        by_seq = {e.seq: e for e in self.events(order_id)}
        done: list[Step] = []
        while pending := [step for step in self.steps(order_id) if step not in done]:
            step = pick(pending)
            by_seq.update({e.seq: e for e in self.events(order_id)})
            self._take(order_id, step, by_seq)
            done.append(step)
            if rng is not None and rng.random() < duplicates:
                again = rng.choice([s for s in done if isinstance(s, Delivery)])
                self._take(order_id, again, by_seq, attempt=2)

    def _take(self, order_id: str, step: Step, by_seq: dict[int, Event], attempt: int = 1) -> None:
        if isinstance(step, StaffStep):
            self.staff(order_id, step.action)
        else:
            self.deliver(by_seq[step.seq], step.handler, attempt)

    def replay_all(self, order_id: str) -> int:
        """Deliver every event of the order again to every handler subscribed to it."""
        replays = 0
        for event in self.events(order_id):
            for handler in self.subscribers(event.type):
                self.deliver(event, handler, attempt=2)
                replays += 1
        return replays

    # -- what came of it -------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return conn.execute(sql, params).fetchall()

    def tickets(self) -> list[Path]:
        return sorted((self.folder / "tickets").glob("*.txt"))

    def sms_file(self) -> list[dict[str, Any]]:
        path = self.folder / "sandbox" / "sms-outbox.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def charges_file(self) -> list[dict[str, Any]]:
        path = self.folder / "sandbox" / "charges.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def state(self, order_id: str) -> dict[str, object]:
        """Everything the pipeline changes, without ids and times that differ per run."""
        return {
            "status": self.order(order_id).status,
            "events": sorted(Counter(e.type for e in self.events(order_id)).items()),
            "menu changes": self.rows(
                "SELECT json_extract(payload, '$.menuItem.id'),"
                " json_extract(payload, '$.menuItem.available')"
                " FROM events WHERE type = 'menu_item_changed' ORDER BY seq"
            ),
            "payments": self.rows(
                "SELECT amount_cents, method FROM payments WHERE order_id = ?", (order_id,)
            ),
            "stock": self.rows(
                "SELECT id, stock, available FROM menu_items WHERE stock IS NOT NULL ORDER BY id"
            ),
            "stock taken": self.rows(
                "SELECT line, menu_item_id, taken FROM stock_movements WHERE order_id = ?"
                " ORDER BY line",
                (order_id,),
            ),
            "driver": self.rows(
                "SELECT driver_id FROM driver_assignments WHERE order_id = ?", (order_id,)
            ),
            "loyalty": self.rows(
                "SELECT a.points, c.points FROM loyalty_awards a"
                " JOIN loyalty_accounts c ON c.phone = a.phone WHERE a.order_id = ?",
                (order_id,),
            ),
            "keys used": self.rows(
                "SELECT operation, count(*) FROM idempotency_keys GROUP BY operation"
                " ORDER BY operation"
            ),
            "charges": [(c["status"], c["amountCents"]) for c in self.charges_file()],
            "tickets": [path.read_text() for path in self.tickets()],
            "sms": sorted((m["phone"], m["text"]) for m in self.sms_file()),
        }
