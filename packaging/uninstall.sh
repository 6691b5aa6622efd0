#!/bin/sh
# Removes Passline from PREFIX: ./uninstall.sh [PREFIX]   (default PREFIX: ~/.local)
# Your data (~/.local/share/passline: the database, the staff token) is left alone.
set -eu
prefix=${1:-${PREFIX:-$HOME/.local}}
if [ ! -d "$prefix" ]; then
    echo "uninstall.sh: $prefix does not exist" >&2
    exit 1
fi
prefix=$(cd "$prefix" && pwd)
lib="$prefix/lib/passline"
if [ ! -x "$lib/passline" ]; then
    echo "uninstall.sh: Passline is not installed in $prefix" >&2
    exit 1
fi
# The launcher, only if install.sh wrote it.
if grep -q "Passline launcher (written by install.sh)" "$prefix/bin/passline" 2>/dev/null; then
    rm -f "$prefix/bin/passline"
fi
rm -f "$prefix/share/applications/passline.desktop"
rm -f "$prefix/share/icons/hicolor/scalable/apps/passline.svg"
rm -rf "$lib"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
fi
echo "Passline removed from $prefix."
echo "Your data is kept in ${XDG_DATA_HOME:-$HOME/.local/share}/passline (delete it yourself if you want)."
