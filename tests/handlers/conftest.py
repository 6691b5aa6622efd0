"""Kitchens: real backends on temporary databases, with the test as their event runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.handlers.harness import Kitchen


@pytest.fixture
def make_kitchen(tmp_path: Path) -> Iterator[Callable[..., Kitchen]]:
    """Start kitchens in folders of their own; all are stopped after the test."""
    started: list[Kitchen] = []

    def make(name: str = "kitchen", **options: float) -> Kitchen:
        folder = tmp_path / name
        folder.mkdir()
        kitchen = Kitchen(folder, **options)
        started.append(kitchen)
        return kitchen

    yield make
    for kitchen in started:
        kitchen.stop()


@pytest.fixture
def kitchen(make_kitchen: Callable[..., Kitchen]) -> Kitchen:
    return make_kitchen()
