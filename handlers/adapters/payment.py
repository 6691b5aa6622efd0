"""The sandbox payment gateway: charge an order's card once, whatever happens around it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from handlers.adapters._journal import Journal, Record
from handlers.sdk.adapters import Charge, ChargeStatus, GatewayError

CHARGES_FILE = "charges.jsonl"
# Of the sandbox's failures, this share are declined cards; the rest are gateway errors.
DECLINE_SHARE = 0.5


class SandboxGateway:
    """A local gateway: charges in ``path`` (JSON lines), with simulated latency and failures.

    An order's card is charged at most once: once approved, every later call returns that
    charge. A call is one attempt, named by its idempotency key (the charge_payment
    delivery's): the same key gets the same answer, so a retry after a crash takes no
    money twice. A failure happens on ``failure_rate`` of the new attempts: a share
    ``decline_share`` of them are declined cards (recorded: the same key gets the same
    decline; a new key, as staff's "Charge again" makes, tries the card again), the
    others are gateway errors (nothing recorded: the next call rolls again). Orders in
    ``fail_orders`` always get a gateway error and orders in ``decline_orders`` are always
    declined, so that a test or a demo can break one order's payment and later remove
    the cause. ``decline_rate`` declines that share of the new attempts before the
    failure rate is rolled, with no gateway errors: an evening's declined cards alone
    (``--gateway-decline-rate``, as bench.rush runs).
    """

    def __init__(
        self,
        path: Path,
        *,
        failure_rate: float = 0.0,
        latency_seconds: float = 0.0,
        decline_share: float = DECLINE_SHARE,
        decline_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, not {failure_rate}")
        if not 0.0 <= decline_rate <= 1.0:
            raise ValueError(f"decline_rate must be between 0 and 1, not {decline_rate}")
        if latency_seconds < 0:
            raise ValueError(f"latency_seconds must not be negative, not {latency_seconds}")
        self.failure_rate = failure_rate
        self.latency_seconds = latency_seconds
        self.decline_share = decline_share
        self.decline_rate = decline_rate
        self.fail_orders: set[str] = set()
        self.decline_orders: set[str] = set()
        self._random = random.Random(seed)
        self.path = path
        self._journal = Journal(path, key_field="idempotencyKey")
        self._approved = {
            str(record["orderId"]): record
            for record in self._journal.records()
            if record["status"] == ChargeStatus.APPROVED.value
        }
        self._orders: dict[str, asyncio.Lock] = {}  # one attempt of an order at a time

    async def charge(self, order_id: str, amount_cents: int, idempotency_key: str) -> Charge:
        async def attempt() -> Record:
            if self.latency_seconds:
                await asyncio.sleep(self.latency_seconds)
            status = self._outcome(order_id)
            return {
                "id": f"ch_{self._random.getrandbits(64):016x}",
                "orderId": order_id,
                "amountCents": amount_cents,
                "status": status.value,
            }

        lock = self._orders.setdefault(order_id, asyncio.Lock())
        async with lock:
            record = self._approved.get(order_id)
            if record is None:
                record = await self._journal.once(idempotency_key, attempt)
                if record["status"] == ChargeStatus.APPROVED.value:
                    self._approved[order_id] = record
        return _charge(record)

    def charges(self) -> list[Charge]:
        """Every charge made, oldest first."""
        return [_charge(record) for record in self._journal.records()]

    def _outcome(self, order_id: str) -> ChargeStatus:
        if order_id in self.fail_orders:
            raise GatewayError(order_id, "the sandbox was told to fail this order")
        if order_id in self.decline_orders:
            return ChargeStatus.DECLINED
        # Rolled only when set, so a seeded gateway without it rolls as it always did.
        if self.decline_rate and self._random.random() < self.decline_rate:
            return ChargeStatus.DECLINED
        roll = self._random.random()
        if roll < self.failure_rate * self.decline_share:
            return ChargeStatus.DECLINED
        if roll < self.failure_rate:
            raise GatewayError(order_id, "simulated outage (sandbox failure rate)")
        return ChargeStatus.APPROVED


def _charge(record: Record) -> Charge:
    return Charge(
        id=record["id"],
        order_id=record["orderId"],
        amount_cents=record["amountCents"],
        status=ChargeStatus(record["status"]),
    )
