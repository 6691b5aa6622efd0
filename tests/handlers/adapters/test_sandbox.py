"""handlers.adapters.sandbox: the files the backend's folder gets."""

from __future__ import annotations

from pathlib import Path

from handlers.adapters import SandboxGateway, sandbox


async def test_sandbox_writes_beside_the_database(tmp_path: Path) -> None:
    adapters = sandbox(tmp_path, gateway_failure_rate=0.25, gateway_latency_seconds=0.5)
    assert isinstance(adapters.payment, SandboxGateway)
    assert (adapters.payment.failure_rate, adapters.payment.latency_seconds) == (0.25, 0.5)
    adapters.payment.latency_seconds = 0.0
    adapters.payment.failure_rate = 0.0
    await adapters.payment.charge("order-1", 100, "k")
    await adapters.sms.send("+1 555 0100", "hello", "k")
    await adapters.printer.print_ticket(1, "ticket", "k")
    assert (tmp_path / "sandbox" / "charges.jsonl").exists()
    assert (tmp_path / "sandbox" / "sms-outbox.jsonl").exists()
    assert len(list((tmp_path / "tickets").glob("1-*.txt"))) == 1
