"""The sandbox SMS sender: an outbox file with at most one message per key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from handlers.adapters import SandboxSms


def outbox(path: Path) -> list[tuple[str, str, str]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(m["key"], m["phone"], m["text"]) for m in lines]


async def test_a_key_is_sent_once_also_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "sms-outbox.jsonl"
    sms = SandboxSms(path)
    await sms.send("+1 555 0100", "ready", "a")
    await sms.send("+1 555 0100", "ready", "a")
    await sms.send("+1 555 0100", "declined", "b")
    await SandboxSms(path).send("+1 555 0100", "ready", "a")  # restarted after a crash
    assert outbox(path) == [("a", "+1 555 0100", "ready"), ("b", "+1 555 0100", "declined")]


async def test_concurrent_sends_of_one_key_write_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sms-outbox.jsonl"
    sms = SandboxSms(path)
    await asyncio.gather(*(sms.send("+1 555 0100", "ready", "same") for _ in range(10)))
    assert len(outbox(path)) == 1
    assert [m["key"] for m in sms.sent()] == ["same"]
