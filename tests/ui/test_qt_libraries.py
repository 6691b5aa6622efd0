"""The check `make run` and main.py make for Qt's X11 libraries, with ldd stubbed
where a missing library must be pretended, and for real on this machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ui import qt_libraries

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)
\tlibfoo-unknown.so.7 => not found
"""
LDD_COMPLETE = "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)\n"
X11 = {"DISPLAY": ":0"}


def test_missing_libraries_are_named_by_their_package() -> None:
    missing = qt_libraries.missing_libraries([Path("libqxcb.so")], ldd=lambda _: LDD_MISSING)

    assert missing == ["libfoo-unknown.so.7", "libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    # An unknown library is never given to apt-get as a package: it is named apart.
    assert qt_libraries.packages_for(missing) == ["libxcb-cursor0", "libxcb-icccm4"]
    assert qt_libraries.unknown(missing) == ["libfoo-unknown.so.7"]
    said = qt_libraries.refusal(missing)
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4)" in said
    assert "package Passline cannot name: libfoo-unknown.so.7" in said


def test_glib_and_the_x11_libraries_below_xcb_are_known() -> None:
    # Seen missing on a minimal system: libgthread made the whole install fail.
    known = {
        "libgthread-2.0.so.0": "libglib2.0-0",
        "libXau.so.6": "libxau6",
        "libXdmcp.so.6": "libxdmcp6",
        "libzstd.so.1": "libzstd1",
        "libpng16.so.16": "libpng16-16",
        "libGLdispatch.so.0": "libglvnd0",
    }
    for soname, package in known.items():
        assert qt_libraries.packages_for([soname]) == [package]


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "wayland"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_only_the_x11_plugin_is_checked(env: dict[str, str], platform: str, expected: bool) -> None:
    assert qt_libraries.uses_xcb(env, platform) is expected


class Apt:
    """Records the commands `ensure` runs; after an install, ldd finds everything."""

    def __init__(self, succeeds: bool = True, unknown: bool = False) -> None:
        self.commands: list[list[str]] = []
        self.succeeds = succeeds
        self.installed = False
        self.unknown = unknown  # a library no package is known for stays missing

    def ldd(self, _: Path) -> str:
        if self.installed:
            return LDD_COMPLETE + (LDD_MISSING.splitlines()[-1] + "\n" if self.unknown else "")
        return (
            LDD_MISSING
            if self.unknown
            else LDD_MISSING.replace("libfoo-unknown.so.7", "libGL.so.1")
        )

    def run(self, command: list[str]) -> int:
        self.commands.append(command)
        if "install" in command and self.succeeds:
            self.installed = True
        return 0 if self.succeeds else 100


def ensure(
    apt: Apt, *, is_root: bool, tools: tuple[str, ...], argv: list[str] | None = None
) -> int:
    return qt_libraries.ensure(
        argv or [],
        ldd=apt.ldd,
        which=lambda name: f"/usr/bin/{name}" if name in tools else None,
        run=apt.run,
        is_root=is_root,
        env=X11,
    )


def test_root_installs_the_packages_with_apt(capsys: pytest.CaptureFixture[str]) -> None:
    apt = Apt()

    assert ensure(apt, is_root=True, tools=("apt-get",)) == 0

    install = ["apt-get", "install", "--yes", "--no-install-recommends"]
    assert apt.commands == [
        ["apt-get", "update"],
        [*install, "libgl1", "libxcb-cursor0", "libxcb-icccm4"],
    ]
    assert "running: apt-get install" in capsys.readouterr().out


def test_an_unknown_library_is_named_and_the_known_ones_still_installed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    apt = Apt(unknown=True)

    assert ensure(apt, is_root=True, tools=("apt-get",)) == qt_libraries.MISSING

    install = ["apt-get", "install", "--yes", "--no-install-recommends"]
    assert apt.commands[-1] == [*install, "libxcb-cursor0", "libxcb-icccm4"]
    out, err = capsys.readouterr()
    assert "libfoo-unknown.so.7" in out  # said before the install runs
    assert "cannot name: libfoo-unknown.so.7" in err
    assert "libxcb-cursor0" not in err  # installed: no longer asked for


def test_a_user_installs_them_with_sudo_and_is_told_so(capsys: pytest.CaptureFixture[str]) -> None:
    apt = Apt()

    assert ensure(apt, is_root=False, tools=("apt-get", "sudo")) == 0

    assert all(command[0] == "sudo" for command in apt.commands)
    assert "running: sudo apt-get install" in capsys.readouterr().out


def test_without_apt_the_exact_packages_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    apt = Apt()

    assert ensure(apt, is_root=True, tools=()) == qt_libraries.MISSING

    assert apt.commands == []
    assert "sudo apt-get install libgl1 libxcb-cursor0 libxcb-icccm4)" in capsys.readouterr().err


def test_a_failed_install_still_names_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    apt = Apt(succeeds=False)

    assert ensure(apt, is_root=True, tools=("apt-get",)) == qt_libraries.MISSING
    assert "libgl1 libxcb-cursor0 libxcb-icccm4" in capsys.readouterr().err


def test_headless_needs_no_window_libraries() -> None:
    apt = Apt()

    assert ensure(apt, is_root=True, tools=("apt-get",), argv=["--headless"]) == 0
    assert apt.commands == []


def test_the_real_plugin_is_found_and_read() -> None:
    files = qt_libraries.plugin_files()
    assert [path.name for path in files] == ["libqxcb.so", "libQt6XcbQpa.so.6"]
    # ldd names this machine's libraries; whatever is missing is a known package.
    assert "libxcb.so.1" in qt_libraries.run_ldd(files[0])
    for soname in qt_libraries.missing_libraries(files):
        assert soname in qt_libraries.PACKAGE_OF


def test_the_dashboard_refuses_to_start_without_them(tmp_path: Path) -> None:
    # A real start of main.py on X11 where a library is missing (LD_LIBRARY_PATH cannot
    # hide one, so the refusal is driven by the check's own answer through the module).
    code = (
        "import sys, main\n"
        "from ui import qt_libraries\n"
        "qt_libraries.missing_libraries = lambda *a, **k: ['libxcb-cursor.so.0']\n"
        f"sys.exit(main.main(['--db', {str(tmp_path / 'p.db')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DISPLAY": ":99", "HOME": str(tmp_path)},
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
        check=False,
    )
    assert result.returncode == qt_libraries.MISSING
    assert "sudo apt-get install libxcb-cursor0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p.db").exists()  # refused before anything started
