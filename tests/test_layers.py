"""The import-layer contracts of pyproject.toml catch what they are there to catch.

Each contract is broken on purpose, one deliberate bad import in a copy of the
packages, and ``lint-imports`` (the real command, with the project's configuration)
must report that contract broken; the unchanged copy must pass them all, so that a
broken report means the bad import and nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("backend", "clients", "handlers", "ui")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Breach:
    """A line added at the end of ``module`` that one contract forbids."""

    contract: str  # the contract's id in pyproject.toml
    module: str  # a path under the copy's root
    line: str
    reported: str  # a piece of lint-imports' account of the breach


BREACHES = (
    # The SDK is the bottom layer: it imports nothing above it.
    Breach(
        "layers",
        "handlers/sdk/adapters.py",
        "import backend.settings",
        "handlers.sdk.adapters -> backend.settings",
    ),
    # The UI and the backend stand apart (independent siblings of one layer).
    Breach("layers", "backend/ids.py", "import ui.theme", "backend.ids -> ui.theme"),
    # Handlers are independent of each other.
    Breach(
        "handler-layers",
        "handlers/validate_order.py",
        "import handlers.charge_payment",
        "handlers.validate_order -> handlers.charge_payment",
    ),
    # Every module of the handler package is placed in a layer on purpose.
    Breach(
        "handler-layers",
        "handlers/print_receipts.py",
        "from handlers.sdk import EventType",
        "handlers.print_receipts",
    ),
    Breach(
        "backend-sdk-only",
        "backend/registry.py",
        "import handlers.pipeline",
        "backend.registry -> handlers.pipeline",
    ),
    # What backend/registry.py did to find the handler modules with pkgutil.
    Breach(
        "backend-sdk-only", "backend/registry.py", "import handlers", "backend.registry -> handlers"
    ),
    Breach(
        "backend-sdk-only",
        "backend/embedded.py",
        "import handlers.adapters",
        "backend.embedded -> handlers.adapters",
    ),
    Breach("handlers-no-backend", "handlers/_order.py", "import aiosqlite", "-> aiosqlite"),
    Breach(
        "handlers-no-backend",
        "handlers/_order.py",
        "import backend.menu",
        "handlers._order -> backend.menu",
    ),
    # A handler reaches the API through its Context, not as an outside client.
    Breach(
        "handlers-no-backend",
        "handlers/notify_customer.py",
        "import clients.graphql",
        "handlers.notify_customer -> clients.graphql",
    ),
    Breach("backend-no-qt", "backend/orders.py", "import PySide6.QtCore", "-> PySide6"),
    # The API's clients (the demo's customers, the self-test) are the backend's callers.
    Breach(
        "backend-no-qt",
        "backend/embedded.py",
        "import clients.demo",
        "backend.embedded -> clients.demo",
    ),
    # Indirectly too (no contract allows indirect imports): the backend reaches Qt
    # through the SDK it imports.
    Breach(
        "backend-no-qt",
        "handlers/sdk/__init__.py",
        "import PySide6.QtCore",
        "handlers.sdk -> PySide6",
    ),
    Breach("ui-client-only", "ui/theme.py", "import strawberry", "ui.theme -> strawberry"),
    Breach("ui-client-only", "ui/sound.py", "import handlers.sdk", "ui.sound -> handlers.sdk"),
    # The API's clients know only the API: what they need of the backend, they ask it.
    Breach(
        "clients-api-only",
        "clients/graphql.py",
        "import backend.settings",
        "clients.graphql -> backend.settings",
    ),
    Breach("clients-api-only", "clients/live.py", "import PySide6.QtCore", "-> PySide6"),
    Breach("clients-api-only", "clients/demo.py", "import ui.theme", "clients.demo -> ui.theme"),
    Breach("clients-api-only", "clients/self_test.py", "import handlers.sdk", "-> handlers.sdk"),
)


def contracts() -> list[dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        found: list[dict[str, Any]] = tomllib.load(file)["tool"]["importlinter"]["contracts"]
    return found


def copy_project(into: Path) -> Path:
    """The packages and the configuration, without caches, under ``into``."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(ROOT / "pyproject.toml", into / "pyproject.toml")
    return into


def lint_imports(root: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` in ``root`` (it imports the packages from there), as ``make test``
    runs it; only ``contract_ids`` when given."""
    selected = [arg for contract_id in contract_ids for arg in ("--contract", contract_id)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *selected],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def test_every_contract_is_shown_to_fail_and_none_allows_indirect_imports() -> None:
    declared = contracts()
    assert {contract["id"] for contract in declared} == {b.contract for b in BREACHES}
    assert not [c["id"] for c in declared if "allow_indirect_imports" in c]


def test_the_unchanged_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("breach", BREACHES, ids=lambda b: f"{b.contract}:{b.module}")
def test_a_deliberate_bad_import_breaks_its_contract(tmp_path: Path, breach: Breach) -> None:
    root = copy_project(tmp_path)
    module = root / breach.module
    before = module.read_text(encoding="utf-8") if module.exists() else ""
    module.write_text(f"{before}\n{breach.line}  # deliberately bad\n", encoding="utf-8")

    result = lint_imports(root, breach.contract)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Contracts: 0 kept, 1 broken." in result.stdout, output
    assert breach.reported in result.stdout, output
