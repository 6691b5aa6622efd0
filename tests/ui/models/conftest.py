"""Model fixtures: every model under test is watched by both model testers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QAbstractItemModel, QtMsgType
from PySide6.QtTest import QAbstractItemModelTester

M = TypeVar("M", bound=QAbstractItemModel)


@pytest.fixture
def checked(qtmodeltester: Any, qtlog: Any) -> Iterator[Callable[[M], M]]:
    """Check a model now and after every change the test makes to it.

    pytest-qt's Python tester asserts as it goes (one tester per model: a tester
    follows only the last model it was given); Qt's own tester, stricter about
    persistent indexes, only logs, so its warnings fail the test here.
    """
    tester_type = type(qtmodeltester)
    testers: list[object] = []

    def check(model: M) -> M:
        tester = tester_type(None)
        tester.check(model, force_py=True)
        qt_tester = QAbstractItemModelTester(
            model, QAbstractItemModelTester.FailureReportingMode.Warning
        )
        testers.extend((tester, qt_tester))
        return model

    yield check
    failures = [
        record.message
        for record in qtlog.records
        if record.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg)
        and "FAIL" in record.message
    ]
    assert not failures, failures
