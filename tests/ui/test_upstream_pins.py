"""What tests/ui/_asyncio.py needs of asyncio's private ``_set_running_loop``, pinned:
an upgrade that changes it fails here, by name, instead of in every UI test."""

from __future__ import annotations

import asyncio
import inspect

import pytest
import qasync

from tests.ui._asyncio import mark_running


def test_set_running_loop_is_what_get_running_loop_answers_outside_a_callback() -> None:
    loop = asyncio.new_event_loop()
    try:
        mark_running(loop)
        try:
            assert asyncio.get_running_loop() is loop
            # What the tests do between Qt events: futures and tasks find the loop.
            assert asyncio.get_event_loop() is loop
        finally:
            mark_running(None)
        with pytest.raises(RuntimeError, match="no running event loop"):
            asyncio.get_running_loop()
    finally:
        loop.close()


def test_qasync_marks_an_already_running_loop_with_the_same_function() -> None:
    """qasync's ``QEventLoop(app, already_running=True)`` marks itself running with the
    same private function, which is why the session fixture unmarks it (mark_running)
    until a test runs: if qasync stops doing so, that fixture's step is to go."""
    assert "asyncio.events._set_running_loop(self)" in inspect.getsource(qasync)
