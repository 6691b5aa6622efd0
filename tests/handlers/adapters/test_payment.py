"""The sandbox payment gateway: one charge per order, durably; declines and errors on demand."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from handlers.adapters import SandboxGateway
from handlers.sdk.adapters import ChargeStatus, GatewayError


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox" / "charges.jsonl"


async def test_charging_an_order_again_returns_its_first_charge(path: Path) -> None:
    gateway = SandboxGateway(path)
    first = await gateway.charge("order-1", 1200, "key-1")
    again = await gateway.charge("order-1", 1200, "key-2")
    other = await gateway.charge("order-2", 500, "key-3")
    assert first.status is ChargeStatus.APPROVED
    assert again == first
    assert other.id != first.id
    assert [json.loads(line)["orderId"] for line in lines(path)] == [
        "order-1",
        "order-2",
    ]


async def test_charges_survive_a_crash_of_the_process(path: Path) -> None:
    first = await SandboxGateway(path).charge("order-1", 1200, "key-1")
    restarted = SandboxGateway(path, failure_rate=1.0)  # would fail any new charge
    assert await restarted.charge("order-1", 1200, "key-1") == first
    assert restarted.charges() == [first]


async def test_a_line_torn_by_a_crash_is_dropped_and_the_file_stays_readable(path: Path) -> None:
    first = await SandboxGateway(path).charge("order-1", 1200, "key-1")
    with path.open("a") as handle:
        handle.write('{"orderId": "order-2", "status": "APPR')  # the write never finished
    gateway = SandboxGateway(path)
    second = await gateway.charge("order-2", 700, "key-2")
    assert gateway.charges() == [first, second]
    assert SandboxGateway(path).charges() == [first, second]


async def test_concurrent_charges_of_one_order_charge_once(path: Path) -> None:
    gateway = SandboxGateway(path, latency_seconds=0.01)
    charges = await asyncio.gather(*(gateway.charge("order-1", 900, "key") for _ in range(10)))
    assert len({charge.id for charge in charges}) == 1
    assert len(lines(path)) == 1


async def test_a_decline_is_kept_and_a_gateway_error_is_not(path: Path) -> None:
    gateway = SandboxGateway(path, failure_rate=1.0, decline_share=1.0)
    declined = await gateway.charge("order-1", 900, "key-1")
    assert declined.status is ChargeStatus.DECLINED
    gateway.failure_rate = 0.0
    assert await gateway.charge("order-1", 900, "key-1") == declined

    failing = SandboxGateway(path, failure_rate=1.0, decline_share=0.0)
    with pytest.raises(GatewayError, match="order-2"):
        await failing.charge("order-2", 900, "key-2")
    failing.failure_rate = 0.0
    assert (await failing.charge("order-2", 900, "key-2")).status is ChargeStatus.APPROVED


async def test_one_order_can_be_made_to_fail_until_the_cause_is_fixed(path: Path) -> None:
    gateway = SandboxGateway(path)
    gateway.fail_orders.add("order-1")
    for _ in range(3):
        with pytest.raises(GatewayError):
            await gateway.charge("order-1", 900, "key-1")
    assert (await gateway.charge("order-2", 900, "key-2")).status is ChargeStatus.APPROVED
    gateway.fail_orders.discard("order-1")
    assert (await gateway.charge("order-1", 900, "key-1")).status is ChargeStatus.APPROVED


async def test_one_order_can_be_made_to_decline(path: Path) -> None:
    gateway = SandboxGateway(path)
    gateway.decline_orders.add("order-1")
    assert (await gateway.charge("order-1", 900, "key-1")).status is ChargeStatus.DECLINED


async def test_the_failure_rate_splits_into_declines_and_errors(path: Path) -> None:
    gateway = SandboxGateway(path, failure_rate=0.3, seed=11)
    declined = errors = 0
    for n in range(400):
        try:
            charge = await gateway.charge(f"order-{n}", 100, f"key-{n}")
        except GatewayError:
            errors += 1
        else:
            declined += charge.status is ChargeStatus.DECLINED
    assert 40 <= declined <= 80  # about 15 % of 400
    assert 40 <= errors <= 80


async def test_the_decline_rate_declines_that_share_and_fails_none(path: Path) -> None:
    gateway = SandboxGateway(path, decline_rate=0.3, seed=5)
    charges = [await gateway.charge(f"order-{n}", 100, f"key-{n}") for n in range(400)]
    declined = sum(charge.status is ChargeStatus.DECLINED for charge in charges)
    assert 90 <= declined <= 150  # about 30 % of 400, and no GatewayError raised


async def test_latency_is_added_to_each_new_charge(path: Path) -> None:
    gateway = SandboxGateway(path, latency_seconds=0.05)
    started = time.monotonic()
    await gateway.charge("order-1", 100, "key-1")
    assert time.monotonic() - started >= 0.05
    started = time.monotonic()
    await gateway.charge("order-1", 100, "key-1")  # known: answered at once
    assert time.monotonic() - started < 0.05


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_failure_rate_outside_0_to_1_is_refused(path: Path, rate: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        SandboxGateway(path, failure_rate=rate)
    with pytest.raises(ValueError, match="decline_rate must be between 0 and 1"):
        SandboxGateway(path, decline_rate=rate)


async def test_a_declined_card_is_tried_again_under_a_new_key_only(path: Path) -> None:
    gateway = SandboxGateway(path)
    gateway.decline_orders.add("order-1")
    declined = await gateway.charge("order-1", 900, "key-1")
    gateway.decline_orders.discard("order-1")  # the customer's bank lets it through now
    assert await gateway.charge("order-1", 900, "key-1") == declined  # a retry: same answer
    again = await gateway.charge("order-1", 900, "key-2")  # staff: charge again
    assert (declined.status, again.status) == (ChargeStatus.DECLINED, ChargeStatus.APPROVED)
    # Once approved, no key takes the money again, after a restart too.
    assert await gateway.charge("order-1", 900, "key-3") == again
    assert await SandboxGateway(path).charge("order-1", 900, "key-4") == again
    assert gateway.charges() == [declined, again]
