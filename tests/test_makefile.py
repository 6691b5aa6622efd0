"""The Makefile's set-up steps, planned by a real `make -n` (nothing runs) on a copy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def planned(folder: Path, target: str) -> str:
    done = subprocess.run(
        ["make", "-n", target], cwd=folder, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def copy_of_the_project(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_venv_that_failed_without_pip_is_made_again(tmp_path: Path) -> None:
    folder = copy_of_the_project(tmp_path)
    # What `python3 -m venv .venv` leaves without python3-venv: a python, no pip.
    (folder / ".venv" / "bin").mkdir(parents=True)
    (folder / ".venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")

    plan = planned(folder, ".venv/.installed")

    assert "-m venv --clear .venv" in plan
    assert "python -m pip install" in plan


def test_a_complete_venv_is_not_made_again(tmp_path: Path) -> None:
    folder = copy_of_the_project(tmp_path)
    (folder / ".venv" / "bin").mkdir(parents=True)
    for name in ("python", "pip"):
        (folder / ".venv" / "bin" / name).symlink_to("/usr/bin/true")

    plan = planned(folder, ".venv/.installed")

    assert "-m venv" not in plan
    assert "python -m pip install" in plan  # the stamp is missing: install
