"""The one private part of asyncio the UI tests stand on.

The UI tests run one qasync loop for the whole session, inside Qt's own event loop
(qasync's ``already_running=True``, as a QApplication that is already executing needs),
and the test body runs between Qt events, not in a loop callback. asyncio has no
public way to say which loop is running then: ``asyncio.events._set_running_loop`` is
what qasync's own constructor calls for it. tests/ui/test_upstream_pins.py checks, by
name, what is relied on here: an upgrade that changes it fails there.
"""

from __future__ import annotations

import asyncio


def mark_running(loop: asyncio.AbstractEventLoop | None) -> None:
    """Make ``loop`` what ``asyncio.get_running_loop()`` answers in this thread (None:
    no loop is running), so coroutines and futures made outside a callback find it."""
    asyncio.events._set_running_loop(loop)
