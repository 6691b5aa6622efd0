"""``python main.py --self-test`` and ``--version`` as real subprocesses, as CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parent.parent


def pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        found: str = tomllib.load(file)["project"]["version"]
    return found


def run_main(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        check=False,
    )


def test_self_test_passes_and_leaves_the_user_data_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_main(
        "--self-test",
        env={"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    # The verdict only: no progress lines, no Qt plugin warnings, no log noise.
    assert done.stderr == ""
    assert done.stdout == f"passline {pyproject_version()}: self-test passed\n"
    assert not (home / "data").exists()  # no database in the user's data folder
    assert list(tmp_path.glob("passline-self-test-*")) == []  # its temporary folder is gone


def test_self_test_fails_with_a_message_when_the_backend_cannot_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from backend import child

    # A real child process that fails the way --headless does when its port is taken.
    refuse = (
        "import sys; print('passline: cannot start: address in use', file=sys.stderr); sys.exit(2)"
    )
    monkeypatch.setattr(child, "program", lambda: [sys.executable, "-c", refuse])
    monkeypatch.setenv("XDG_CONFIG_HOME", os.environ.get("XDG_CONFIG_HOME", ""))
    assert main.self_test() == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "self-test FAILED: the embedded backend did not start: address in use" in err
    assert "steps done before: none" in err


def test_the_steps_are_there_with_log_level_debug(tmp_path: Path) -> None:
    done = run_main(
        "--self-test",
        "--log-level",
        "debug",
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")},
    )
    assert done.returncode == 0, done.stderr
    assert "self-test: order in the kitchen (" in done.stderr
    assert "self-test: card on the board (" in done.stderr
    assert done.stdout == f"passline {pyproject_version()}: self-test passed\n"


async def test_a_timeout_is_named_not_an_empty_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes the connection and never answers: httpx's ReadTimeout has no
    text of its own, and the verdict must still say what happened."""
    import socket

    from clients import self_test

    monkeypatch.setattr(self_test, "SELF_TEST_TIMEOUT_SECONDS", 0.2)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(self_test.SelfTestError) as failed:
            await self_test.customer_pages(f"http://127.0.0.1:{port}")
    assert str(failed.value) == "GET / failed: ReadTimeout"


def test_version_prints_the_pyproject_version() -> None:
    done = run_main("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"passline {pyproject_version()}\n"


def test_version_falls_back_to_pyproject_when_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert main.version() == pyproject_version()
