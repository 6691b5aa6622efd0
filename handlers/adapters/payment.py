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

    A failure happens on ``failure_rate`` of the first charges of an order: a share
    ``decline_share`` of them are declined cards (recorded: the order's later charges
    return the same decline), the others are gateway errors (nothing recorded: the
    next call rolls again). Orders in ``fail_orders`` always get a gateway error and
    orders in ``decline_orders`` are always declined, so that a test or a demo can
    break one order's payment and later remove the cause.
    """

    def __init__(
        self,
        path: Path,
        *,
        failure_rate: float = 0.0,
        latency_seconds: float = 0.0,
        decline_share: float = DECLINE_SHARE,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, not {failure_rate}")
        if latency_seconds < 0:
            raise ValueError(f"latency_seconds must not be negative, not {latency_seconds}")
        self.failure_rate = failure_rate
        self.latency_seconds = latency_seconds
        self.decline_share = decline_share
        self.fail_orders: set[str] = set()
        self.decline_orders: set[str] = set()
        self._random = random.Random(seed)
        self.path = path
        self._journal = Journal(path, key_field="orderId")

    async def charge(self, order_id: str, amount_cents: int, idempotency_key: str) -> Charge:
        async def attempt() -> Record:
            if self.latency_seconds:
                await asyncio.sleep(self.latency_seconds)
            status = self._outcome(order_id)
            return {
                "id": f"ch_{self._random.getrandbits(64):016x}",
                "amountCents": amount_cents,
                "status": status.value,
                "idempotencyKey": idempotency_key,
            }

        return _charge(await self._journal.once(order_id, attempt))

    def charges(self) -> list[Charge]:
        """Every charge made, oldest first."""
        return [_charge(record) for record in self._journal.records()]

    def _outcome(self, order_id: str) -> ChargeStatus:
        if order_id in self.fail_orders:
            raise GatewayError(order_id, "the sandbox was told to fail this order")
        if order_id in self.decline_orders:
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
