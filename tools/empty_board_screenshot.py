"""Render the board of a new restaurant, before its first order (the hint staff see
first): ``python -m tools.empty_board_screenshot [DIR]`` writes ``empty-board.png``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from backend.settings import Settings
from main import restaurant_backend
from tools.screenshots import OUT, SMALL_WINDOW_SIZE, TOKEN, on_qt_loop, opened_window, save, until


async def _run(url: str, settings: QSettings, out: Path) -> None:
    async with opened_window(url, settings, SMALL_WINDOW_SIZE) as window:
        await until(lambda: window.client.state == "connected")
        await save(window, out, "empty-board")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        backend = restaurant_backend(Settings(Path(tmp) / "new.db", port=0, staff_token=TOKEN))
        backend.start()
        try:
            on_qt_loop(tmp, lambda settings: _run(backend.url, settings, out))
        finally:
            backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
