"""Which handler listens to which event types, and with what delivery policy.

The outbox asks the registry to fan an event out into one delivery row per
subscribed handler, inside the transaction that writes the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """A handler's name, the event types it takes, and its delivery policy."""

    name: str
    events: tuple[str, ...]
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    concurrency: int = DEFAULT_CONCURRENCY
    ordered: bool = False  # one delivery per order at a time, in seq order


class Registry:
    """The handlers known to this backend, by name."""

    def __init__(self, specs: Iterable[HandlerSpec]) -> None:
        self._specs: dict[str, HandlerSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"handler {spec.name!r} is registered twice")
            self._specs[spec.name] = spec
        subscribers: dict[str, list[str]] = {}
        for spec in self._specs.values():
            for event_type in spec.events:
                subscribers.setdefault(event_type, []).append(spec.name)
        self.subscribers: dict[str, tuple[str, ...]] = {
            event_type: tuple(names) for event_type, names in subscribers.items()
        }

    def __iter__(self) -> Iterator[HandlerSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> HandlerSpec | None:
        return self._specs.get(name)


# The restaurant's pipeline (DESIGN.md, "The order pipeline").
PIPELINE = Registry(
    [
        HandlerSpec("validate_order", ("order_placed",)),
        HandlerSpec("charge_payment", ("order_validated",)),
        HandlerSpec("send_to_kitchen", ("order_paid",)),
        HandlerSpec("update_inventory", ("order_paid",)),
        HandlerSpec("notify_customer", ("order_ready", "order_rejected", "payment_failed")),
        HandlerSpec("assign_driver", ("order_ready",)),
        HandlerSpec("award_loyalty", ("order_completed",)),
    ]
)
