"""The restaurant's external services, as the protocols a handler is given them by.

Handlers reach them through ``ctx.adapters``, an :class:`Adapters`; what stands behind
each protocol (the local sandboxes of ``handlers/adapters/``, or real clients) is
chosen by the composition root (``handlers/pipeline.py``, called from ``main.py``), so
neither the backend nor a handler names an implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ChargeStatus(StrEnum):
    APPROVED = "APPROVED"  # the money is taken
    DECLINED = "DECLINED"  # the card was refused; charging this order again gives the same


@dataclass(frozen=True, slots=True)
class Charge:
    id: str
    order_id: str
    amount_cents: int
    status: ChargeStatus


class GatewayError(Exception):
    """The gateway did not answer or failed: nothing was charged, try again later."""

    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__(f"payment gateway error charging order {order_id}: {reason}")
        self.order_id = order_id
        self.reason = reason


class PaymentGateway(Protocol):
    async def charge(self, order_id: str, amount_cents: int, idempotency_key: str) -> Charge:
        """Charge an order; charging the same order again returns its first charge.

        Raises :class:`GatewayError` when the gateway failed and nothing was charged.
        """
        ...


class SmsSender(Protocol):
    async def send(self, phone: str, text: str, key: str) -> None:
        """Send ``text`` to ``phone``, unless a message with ``key`` was sent already."""
        ...


class TicketPrinter(Protocol):
    async def print_ticket(self, order_number: int, text: str, key: str) -> str:
        """Print a ticket unless one was printed with ``key``; a reference to it."""
        ...


@dataclass(frozen=True, slots=True)
class Adapters:
    """One of each service: what ``ctx.adapters`` holds."""

    payment: PaymentGateway
    sms: SmsSender
    printer: TicketPrinter
