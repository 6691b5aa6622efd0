"""Local sandboxes of the restaurant's external services (``handlers.sdk.adapters``).

Each stands in for a real service on files under the database's folder, so that the
demo, the tests and a first run need no accounts anywhere. The composition root
(``handlers/pipeline.py``) builds them with :func:`sandbox`; a real deployment would
build an :class:`~handlers.sdk.adapters.Adapters` of real clients there instead.
"""

from __future__ import annotations

from pathlib import Path

from handlers.adapters.payment import CHARGES_FILE, SandboxGateway
from handlers.adapters.printer import SandboxPrinter
from handlers.adapters.sms import OUTBOX_FILE, SandboxSms
from handlers.sdk.adapters import Adapters

SANDBOX_FOLDER = "sandbox"
TICKETS_FOLDER = "tickets"

__all__ = ["SandboxGateway", "SandboxPrinter", "SandboxSms", "sandbox"]


def sandbox(
    data_dir: Path,
    *,
    gateway_failure_rate: float = 0.0,
    gateway_latency_seconds: float = 0.0,
    gateway_decline_rate: float = 0.0,
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
            decline_rate=gateway_decline_rate,
            seed=seed,
        ),
        sms=SandboxSms(folder / OUTBOX_FILE),
        printer=SandboxPrinter(data_dir / TICKETS_FOLDER),
    )
