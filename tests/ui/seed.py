"""A big event log written straight into a database, for paging tests and the bench.

The events go in through the outbox's own ``emit`` (event, deliveries, log entry),
in one unit of work on a backend with no handlers, whose deliveries are then marked
done, so that the backend started on that file afterwards has nothing to run.
"""

from __future__ import annotations

import gc
import uuid
from pathlib import Path

from backend.database import Tx
from backend.outbox import emit
from backend.registry import Registry
from main import restaurant_registry
from tests.conftest import running

# Seeded types cycle through these; every RARE-th event is an order_cancelled instead,
# and every DEAD-th event's deliveries are dead, so that filters have something to find.
TYPES = ("order_placed", "order_validated", "order_paid", "order_in_kitchen", "order_ready")
RARE_TYPE = "order_cancelled"
RARE = 100
DEAD = 250
SUCCEEDED_SQL = "UPDATE deliveries SET status = 'SUCCEEDED', attempts = 1"
DEAD_SQL = (
    "UPDATE deliveries SET status = 'DEAD', attempts = 3, last_error = 'seeded failure' "
    "WHERE event_seq % :every = 0"
)


def seeded_type(seq: int) -> str:
    return RARE_TYPE if seq % RARE == 0 else TYPES[seq % len(TYPES)]


def _payload(seq: int) -> dict[str, object]:
    """About the size of a real order snapshot (three lines, customer, totals)."""
    items = [
        {"menuItemId": item, "name": item.title(), "quantity": 1 + seq % 3, "unitPriceCents": 1200}
        for item in ("margherita", "fries", "garlic-bread")
    ]
    order = {
        "id": str(uuid.UUID(int=seq)),
        "number": seq,
        "status": "PLACED",
        "channel": "COUNTER",
        "fulfillment": "TAKEAWAY",
        "customerName": f"Guest {seq}",
        "phone": None,
        "address": None,
        "notes": None,
        "items": items,
        "totalCents": 3600,
    }
    return {"order": order}


def seed_events(db_path: Path, count: int) -> None:
    """Append ``count`` events (seqs 1..count on a new file) to the database at ``db_path``."""
    subscribers = restaurant_registry().subscribers

    def unit(tx: Tx) -> None:
        inner = Tx(tx.conn, subscribers)  # its facts reach no one: nothing to run
        for n in range(1, count + 1):
            emit(inner, seeded_type(n), _payload(n))
        tx.execute(SUCCEEDED_SQL)
        tx.execute(DEAD_SQL, {"every": DEAD})

    # Seeding allocates a lot on the database thread, whose garbage collections would
    # also finalize earlier tests' Qt objects there, off the Qt thread (a crash):
    # collect those here first.
    gc.collect()
    with running(db_path, Registry([])) as backend:
        backend.call(backend.db.write(unit), timeout=600)
