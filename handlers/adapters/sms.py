"""The sandbox of text messages to customers: each message key is sent at most once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from handlers.adapters._journal import Journal, Record

OUTBOX_FILE = "sms-outbox.jsonl"


class SandboxSms:
    """Appends each message to an outbox file instead of sending it."""

    def __init__(self, path: Path) -> None:
        self._journal = Journal(path, key_field="key")

    async def send(self, phone: str, text: str, key: str) -> None:
        async def message() -> Record:
            return {"phone": phone, "text": text, "sentAt": datetime.now(UTC).isoformat()}

        await self._journal.once(key, message)

    def sent(self) -> list[Record]:
        """Every message sent, oldest first: ``{"key", "phone", "text", "sentAt"}``."""
        return self._journal.records()
