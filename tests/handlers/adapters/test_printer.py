"""The sandbox ticket printer: one whole file per key in the tickets folder."""

from __future__ import annotations

from pathlib import Path

from handlers.adapters import SandboxPrinter


def text(path: str) -> str:
    return Path(path).read_text()


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_a_key_prints_one_ticket_and_another_key_another(tmp_path: Path) -> None:
    printer = SandboxPrinter(tmp_path / "tickets")
    first = await printer.print_ticket(12, "ORDER #12\n", "event-1:send_to_kitchen")
    again = await printer.print_ticket(12, "ORDER #12 (again)\n", "event-1:send_to_kitchen")
    other = await printer.print_ticket(12, "ORDER #12 reprint\n", "event-9:send_to_kitchen")
    assert again == first != other
    assert text(first) == "ORDER #12\n"  # the first print is never overwritten
    files = names(tmp_path / "tickets")
    assert len(files) == 2
    assert all(name.startswith("12-") and name.endswith(".txt") for name in files)
