#!/bin/sh
# CI check of the installer: `make dist` from scratch, then, as a user would, extract the
# archive, run install.sh into a temporary prefix and run the installed
# `passline --self-test` offscreen with a bare environment (no venv, no project PATH).
# Exits non-zero if any step fails. Run from anywhere: packaging/ci-bundle.sh
set -eu
cd "$(dirname "$0")/.."
started=$(date +%s)
rm -rf build/passline dist
make dist
version=$(dist/passline/passline --version | cut -d' ' -f2)
archive="dist/passline-$version-linux-x86_64.tar.gz"
test -f "$archive" || { echo "ci-bundle: $archive was not built" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -C "$scratch" -xzf "$archive"
mkdir -p "$scratch/home"
env -i HOME="$scratch/home" PATH=/usr/bin:/bin \
    sh "$scratch/passline-$version-linux-x86_64/install.sh" "$scratch/prefix"
if ! env -i HOME="$scratch/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
    timeout 180 "$scratch/prefix/bin/passline" --self-test; then
    echo "ci-bundle: the installed bundle's --self-test FAILED" >&2
    exit 1
fi
env -i HOME="$scratch/home" PATH=/usr/bin:/bin \
    sh "$scratch/prefix/lib/passline/uninstall.sh" "$scratch/prefix"
echo "ci-bundle: passed in $(($(date +%s) - started)) s ($(du -sh dist/passline | cut -f1) bundle)"
