"""The restaurant's pick: which handlers run, and which adapters they are given.

With ``main.py``, this is the composition root: the backend knows only the handler SDK,
and is handed these definitions (as its registry) and these adapters. A handler module
that is not listed here does not run, whatever it registers; a real deployment swaps
the sandbox adapters for real clients in :func:`adapters`.
"""

from __future__ import annotations

from pathlib import Path

from handlers import (
    assign_driver,
    award_loyalty,
    charge_payment,
    notify_customer,
    send_to_kitchen,
    update_inventory,
    validate_order,
)
from handlers.adapters import sandbox
from handlers.sdk import HandlerDefinition, HandlerFunction, definition_of
from handlers.sdk.adapters import Adapters

# By name: Query.handlers and the dashboard's Handlers tab list them in this order.
HANDLERS: tuple[HandlerFunction, ...] = (
    assign_driver.assign_driver,
    award_loyalty.award_loyalty,
    charge_payment.charge_payment,
    notify_customer.notify_customer,
    send_to_kitchen.send_to_kitchen,
    update_inventory.update_inventory,
    validate_order.validate_order,
)


def definitions() -> tuple[HandlerDefinition, ...]:
    """The restaurant's handlers, each with its delivery policy."""
    return tuple(definition_of(function) for function in HANDLERS)


def adapters(
    data_dir: Path,
    *,
    gateway_failure_rate: float = 0.0,
    gateway_latency_seconds: float = 0.0,
    gateway_decline_rate: float = 0.0,
    seed: int | None = None,
) -> Adapters:
    """The restaurant's external services: the local sandboxes, under ``data_dir``."""
    return sandbox(
        data_dir,
        gateway_failure_rate=gateway_failure_rate,
        gateway_latency_seconds=gateway_latency_seconds,
        gateway_decline_rate=gateway_decline_rate,
        seed=seed,
    )
