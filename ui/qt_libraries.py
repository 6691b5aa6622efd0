"""The system libraries Qt's X11 platform plugin needs, checked before Qt is loaded.

PySide6's wheels carry Qt but not the X11 client libraries of the desktop. Without
one of them (a fresh Debian or Ubuntu desktop lacks ``libxcb-cursor0`` and friends)
Qt aborts the process at start with a message about the "xcb" plugin that does not
say which package is missing. This module asks ``ldd`` what the plugin cannot find and
names the Debian/Ubuntu packages that provide it; ``make run`` installs them
(``python -m ui.qt_libraries --install``) and ``main.py`` refuses to start the window
with the exact package names instead of letting Qt abort.

It never imports Qt itself: it runs exactly when Qt could not load.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

# The shared objects the xcb plugin and its Qt library link to, by Debian/Ubuntu package.
PACKAGE_OF: Mapping[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    # What those link to in turn (ldd lists it too), by `dpkg -S` on Debian 12; on
    # Ubuntu 24.04 some are "t64" packages, which apt installs for the name given here.
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libGLdispatch.so.0": "libglvnd0",
    "libzstd.so.1": "libzstd1",
    "libpng16.so.16": "libpng16-16",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libexpat.so.1": "libexpat1",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libbsd.so.0": "libbsd0",
    "libmd.so.0": "libmd0",
    "libz.so.1": "zlib1g",
    "libsystemd.so.0": "libsystemd0",
    "libcap.so.2": "libcap2",
    "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0",
    "liblz4.so.1": "liblz4-1",
    "liblzma.so.5": "liblzma5",
}

MISSING = 2  # exit status of --install when libraries are still missing

Ldd = Callable[[Path], str]


def uses_xcb(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Whether Qt will load its X11 plugin: Linux with no other platform asked for."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return False
    wanted = env.get("QT_QPA_PLATFORM", "")
    return wanted in ("", "xcb") or wanted.startswith("xcb:")


def plugin_files() -> list[Path]:
    """The xcb plugin and its Qt library in the installed PySide6 (or the bundle's)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return []
    qt = Path(spec.origin).parent / "Qt"
    candidates = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [path for path in candidates if path.exists()]


def run_ldd(path: Path) -> str:
    result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    return result.stdout


def missing_libraries(files: Iterable[Path] | None = None, ldd: Ldd = run_ldd) -> list[str]:
    """The shared objects the xcb plugin needs and the system does not have, sorted."""
    missing: set[str] = set()
    for path in plugin_files() if files is None else files:
        for line in ldd(path).splitlines():
            name, _, where = line.strip().partition("=>")
            if where.strip() == "not found":
                missing.add(name.strip())
    return sorted(missing)


def packages_for(sonames: Iterable[str]) -> list[str]:
    """The Debian/Ubuntu packages providing ``sonames`` (the known ones: see
    :func:`unknown`); never a library's own name, which apt-get would refuse, failing
    the whole install."""
    return sorted({PACKAGE_OF[soname] for soname in sonames if soname in PACKAGE_OF})


def unknown(sonames: Iterable[str]) -> list[str]:
    """The ``sonames`` whose package this module does not know."""
    return sorted(soname for soname in sonames if soname not in PACKAGE_OF)


def install_command(packages: Sequence[str], *, is_root: bool) -> list[str]:
    command = ["apt-get", "install", "--yes", "--no-install-recommends", *packages]
    return command if is_root else ["sudo", *command]


def refusal(missing: Sequence[str]) -> str:
    """What to tell a person whose system lacks the shared objects ``missing``."""
    packages, others = packages_for(missing), unknown(missing)
    lines = ["Passline's window needs system libraries that are not installed."]
    if packages:
        names = " ".join(packages)
        lines.append(
            f"Install {names} (on Debian or Ubuntu: sudo apt-get install {names}) and "
            "start Passline again; `make run` does this for you where apt-get is available."
        )
    if others:
        lines.append(_unknown_line(others))
    lines.append("Without a desktop, run the backend alone with --headless.")
    return "\n".join(lines)


def _unknown_line(sonames: Sequence[str]) -> str:
    return (
        f"Also missing, from a package Passline cannot name: {' '.join(sonames)}; "
        f"find it with `apt-file search {sonames[0]}` and install it."
    )


def needs_window(argv: Sequence[str]) -> bool:
    """Whether these command-line options open a window (not --headless, --version…)."""
    return not any(option in argv for option in ("--headless", "--version", "-h", "--help"))


def ensure(
    argv: Sequence[str],
    *,
    ldd: Ldd = run_ldd,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[list[str]], int] = subprocess.call,
    is_root: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """``make run``'s check: install what is missing with apt-get, or say what to install."""
    if not (needs_window(argv) and uses_xcb(env)):
        return 0
    missing = missing_libraries(ldd=ldd)
    if not missing:
        return 0
    packages = packages_for(missing)
    root = os.geteuid() == 0 if is_root is None else is_root
    if not packages or which("apt-get") is None or (not root and which("sudo") is None):
        print(refusal(missing), file=sys.stderr)
        return MISSING
    command = install_command(packages, is_root=root)
    print(f"Passline's window needs {' '.join(packages)}; running: {' '.join(command)}")
    others = unknown(missing)
    if others:
        print(_unknown_line(others))
    if (
        run(["apt-get", "update"] if root else ["sudo", "apt-get", "update"]) != 0
        or run(command) != 0
    ):
        print(refusal(missing), file=sys.stderr)
        return MISSING
    still = missing_libraries(ldd=ldd)
    if still:
        print(refusal(still), file=sys.stderr)
        return MISSING
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--install"]:
        sys.exit(ensure(arguments[1:]))
    missing_now = missing_libraries() if uses_xcb() else []
    if missing_now:
        print(refusal(missing_now), file=sys.stderr)
    sys.exit(MISSING if missing_now else 0)
