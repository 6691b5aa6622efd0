"""PySide6 6.12.0 on Python 3.11 aborts a qasync program after a few thousand Qt->Python
callbacks (none_dealloc, a reference-count bug; pyproject.toml pins PySide6 below 6.12
there). 50,000 of them through the loop must not crash."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from tests.ui.conftest import run

CALLBACKS = 50_000


class _Ticker(QObject):
    tick = Signal(int)


def test_50000_loop_callbacks_through_qasync(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    async def spin() -> int:
        done = 0
        for _ in range(CALLBACKS):
            await asyncio.sleep(0)
            done += 1
        return done

    assert run(qtbot, spin(), timeout_ms=120_000) == CALLBACKS


def test_50000_qt_signals_into_python_inside_coroutines(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    """A Qt signal into a Python slot from coroutine code, 50,000 times: the client's
    pattern (``connectionChanged``, model signals) under the loop."""
    ticker = _Ticker()
    seen: list[int] = []
    ticker.tick.connect(seen.append)

    async def emit() -> int:
        for number in range(CALLBACKS):
            ticker.tick.emit(number)
            if number % 100 == 0:
                await asyncio.sleep(0)
        return len(seen)

    assert run(qtbot, emit(), timeout_ms=120_000) == CALLBACKS
    assert seen[-1] == CALLBACKS - 1
