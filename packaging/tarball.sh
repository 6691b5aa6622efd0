#!/bin/sh
# Packs the bundle dist/passline/ (built by PyInstaller) into the installer archive
# dist/passline-<version>-linux-x86_64.tar.gz, and prints its name and the sizes.
set -eu
cd "$(dirname "$0")/.."
bundle=dist/passline
version=$("$bundle/passline" --version | cut -d' ' -f2)
name="passline-$version-linux-x86_64"
stage="build/$name"
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$bundle" "$stage/passline"
cp packaging/passline.desktop resources/passline.svg "$stage/"
cp packaging/install.sh packaging/uninstall.sh "$stage/"
chmod 755 "$stage/install.sh" "$stage/uninstall.sh"
tar -C build -czf "dist/$name.tar.gz" "$name"
rm -rf "$stage"
echo "bundle:  $bundle $(du -sh "$bundle" | cut -f1)"
echo "archive: dist/$name.tar.gz $(du -h "dist/$name.tar.gz" | cut -f1)"
