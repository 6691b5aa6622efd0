"""Render the board of a new restaurant, before its first order (the hint staff see
first): ``python -m tools.empty_board_screenshot [DIR]`` writes ``empty-board.png``."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from backend.settings import Settings
from main import restaurant_backend
from tools.screenshots import OUT, SMALL_WINDOW_SIZE, TOKEN, save, until
from ui.app import application
from ui.client import GraphQLClient
from ui.main_window import MainWindow
from ui.sound import Chime
from ui.tasks import spawn


async def _run(url: str, settings: QSettings, out: Path) -> None:
    client = GraphQLClient(url, TOKEN)
    window = MainWindow(client, f"Embedded backend · {url}", settings, chime=Chime())
    window.chime.enabled = False
    window.resize(*SMALL_WINDOW_SIZE)
    window.show()
    await client.start()
    spawn(window.start())
    try:
        await until(lambda: client.state == "connected")
        await save(window, out, "empty-board")
    finally:
        window.close()
        await client.close()


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        backend = restaurant_backend(Settings(Path(tmp) / "new.db", port=0, staff_token=TOKEN))
        backend.start()
        try:
            app = application([])
            app.setQuitOnLastWindowClosed(False)
            settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
            import qasync

            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                loop.run_until_complete(_run(backend.url, settings, out))
        finally:
            backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
