"""What every resolver gets: the backend's services and the caller's principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from backend import events
from backend.auth import Principal, Tokens
from backend.database import Database
from backend.events import DeliveryRow, InvocationRow
from backend.notifier import Notifier
from backend.registry import Registry
from backend.runner import Runner


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived parts the API works with, shared by every request."""

    db: Database
    notifier: Notifier
    tokens: Tokens
    registry: Registry
    runner: Runner | None = None


@dataclass(slots=True)
class Context:
    services: Services
    principal: Principal
    request: Any = None
    response: Any = None
    connection_params: dict[str, object] | None = None
    # Batch per event loop tick only (cache=False): a WebSocket connection lives long
    # and must never see stale delivery states.
    deliveries: DataLoader[int, list[DeliveryRow]] = field(init=False)
    invocations: DataLoader[tuple[int, str], list[InvocationRow]] = field(init=False)

    def __post_init__(self) -> None:
        db = self.services.db

        async def load_deliveries(seqs: list[int]) -> list[list[DeliveryRow]]:
            found = await db.read(lambda conn: events.deliveries_of(conn, list(seqs)))
            return [found[seq] for seq in seqs]

        async def load_invocations(keys: list[tuple[int, str]]) -> list[list[InvocationRow]]:
            seqs = sorted({seq for seq, _ in keys})
            found = await db.read(lambda conn: events.invocations_of(conn, seqs))
            return [found.get(key, []) for key in keys]

        self.deliveries = DataLoader(load_deliveries, cache=False)
        self.invocations = DataLoader(load_invocations, cache=False)
