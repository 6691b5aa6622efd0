"""The restaurant's external services, as small protocols with local sandboxes.

Handlers reach them through ``ctx.adapters``, an :class:`Adapters`. The backend
builds the sandbox set with :func:`sandbox` from the database's folder; a real
deployment would build an ``Adapters`` of real clients instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handlers.adapters.payment import (
    CHARGES_FILE,
    Charge,
    ChargeStatus,
    GatewayError,
    PaymentGateway,
    SandboxGateway,
)
from handlers.adapters.printer import SandboxPrinter, TicketPrinter
from handlers.adapters.sms import OUTBOX_FILE, SandboxSms, SmsSender

SANDBOX_FOLDER = "sandbox"
TICKETS_FOLDER = "tickets"

__all__ = [
    "Adapters",
    "Charge",
    "ChargeStatus",
    "GatewayError",
    "PaymentGateway",
    "SandboxGateway",
    "SandboxPrinter",
    "SandboxSms",
    "SmsSender",
    "TicketPrinter",
    "sandbox",
]


@dataclass(frozen=True, slots=True)
class Adapters:
    payment: PaymentGateway
    sms: SmsSender
    printer: TicketPrinter


def sandbox(
    data_dir: Path,
    *,
    gateway_failure_rate: float = 0.0,
    gateway_latency_seconds: float = 0.0,
    seed: int | None = None,
) -> Adapters:
    """Local stand-ins writing under ``data_dir`` (the database's folder).

    Charges and text messages go to ``data_dir/sandbox/*.jsonl``, tickets to
    ``data_dir/tickets/``.
    """
    folder = data_dir / SANDBOX_FOLDER
    return Adapters(
        payment=SandboxGateway(
            folder / CHARGES_FILE,
            failure_rate=gateway_failure_rate,
            latency_seconds=gateway_latency_seconds,
            seed=seed,
        ),
        sms=SandboxSms(folder / OUTBOX_FILE),
        printer=SandboxPrinter(data_dir / TICKETS_FOLDER),
    )
