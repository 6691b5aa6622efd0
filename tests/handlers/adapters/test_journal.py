"""handlers.adapters._journal: the sandboxes' append-only files survive a torn line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from handlers.adapters import SandboxGateway, SandboxSms

ROOT = Path(__file__).resolve().parents[3]


def record(order_id: str) -> bytes:
    """A charge's line, as the gateway writes it."""
    charge = {
        "amountCents": 700,
        "id": f"ch_{order_id}",
        "idempotencyKey": f"{order_id}:charge_payment",
        "orderId": order_id,
        "status": "APPROVED",
    }
    return json.dumps(charge, separators=(",", ":"), sort_keys=True).encode() + b"\n"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    folder = tmp_path / "sandbox"
    folder.mkdir()
    return folder / "charges.jsonl"


def test_a_torn_last_line_is_cut_off_and_said_so(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path.write_bytes(record("order-1") + b'{"amountCents":700,"id":"ch_order-2","or')
    with caplog.at_level(logging.WARNING):
        gateway = SandboxGateway(path)
    assert [charge.order_id for charge in gateway.charges()] == ["order-1"]
    assert path.read_bytes() == record("order-1")
    assert "cut off a torn last line" in caplog.text
    assert '{"amountCents":700,"id":"ch_order-2","or' in caplog.text  # what was dropped


def test_a_line_that_is_not_a_record_is_skipped_and_said_so(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path.write_bytes(record("order-1") + b"\xff garbage \x00\n" + b"[1, 2]\n" + record("order-3"))
    with caplog.at_level(logging.WARNING):
        gateway = SandboxGateway(path)
    assert [charge.order_id for charge in gateway.charges()] == ["order-1", "order-3"]
    assert "line 2, is not a record and was skipped" in caplog.text
    assert "line 3, is not a record and was skipped" in caplog.text


def test_a_whole_record_glued_to_a_failed_write_is_kept(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """How a write that a full disk cut short, then the next write, used to look."""
    path.write_bytes(record("order-1") + b'{"amountCents":700,"id":"ch_o' + record("order-3"))
    with caplog.at_level(logging.WARNING):
        gateway = SandboxGateway(path)
    assert [charge.order_id for charge in gateway.charges()] == ["order-1", "order-3"]
    assert "the whole record at its end is kept" in caplog.text


async def test_the_sms_outbox_survives_a_torn_line_too(tmp_path: Path) -> None:
    path = tmp_path / "sms-outbox.jsonl"
    await SandboxSms(path).send("+1 555 0100", "ready", "a")
    with path.open("ab") as handle:
        handle.write(b'{"key": "b", "pho')
    sms = SandboxSms(path)
    await sms.send("+1 555 0100", "declined", "b")
    keys = [json.loads(line)["key"] for line in path.read_text().splitlines()]
    assert keys == ["a", "b"]


def test_a_write_the_disk_cuts_short_is_taken_back(path: Path) -> None:
    """A real short write: the file size limit (RLIMIT_FSIZE) lets a few bytes of the
    record through and refuses the rest, as a full disk does; in a process of its
    own, so that the limit touches nothing of pytest's."""
    path.write_bytes(record("order-1"))
    script = textwrap.dedent(
        f"""
        import asyncio, resource, signal, sys
        from pathlib import Path
        from handlers.adapters import SandboxGateway

        path = Path({str(path)!r})
        gateway = SandboxGateway(path)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 10, hard))
        try:
            asyncio.run(gateway.charge("order-2", 700, "key-2"))
        except OSError as exc:
            print("refused", exc.errno)
        else:
            print("acknowledged")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused"), done.stdout
    assert path.read_bytes() == record("order-1")
    assert [charge.order_id for charge in SandboxGateway(path).charges()] == ["order-1"]
