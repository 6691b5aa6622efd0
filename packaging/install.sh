#!/bin/sh
# Installs Passline for this user: ./install.sh [PREFIX]   (default PREFIX: ~/.local)
#   PREFIX/lib/passline/     the program (replaced on upgrade; your data is not in it)
#   PREFIX/bin/passline      the command
#   PREFIX/share/applications/passline.desktop, PREFIX/share/icons/.../passline.svg
# Data (the database, the staff token) lives in ~/.local/share/passline and is kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-${PREFIX:-$HOME/.local}}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
lib="$prefix/lib/passline"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor/scalable/apps"

if [ ! -x "$here/passline/passline" ]; then
    echo "install.sh: no passline/passline beside this script; extract the whole archive" >&2
    exit 1
fi
mkdir -p "$prefix/lib" "$prefix/bin" "$apps" "$icons"
# Copy first, then swap: an interrupted upgrade leaves the old version working.
rm -rf "$lib.new"
cp -R "$here/passline" "$lib.new"
cp "$here/uninstall.sh" "$lib.new/uninstall.sh"
rm -rf "$lib"
mv "$lib.new" "$lib"

cat >"$prefix/bin/passline" <<LAUNCHER
#!/bin/sh
# Passline launcher (written by install.sh)
exec "$lib/passline" "\$@"
LAUNCHER
chmod 755 "$prefix/bin/passline"

cp "$here/passline.svg" "$icons/passline.svg"
sed -e "s|^Exec=.*|Exec=\"$prefix/bin/passline\"|" \
    -e "s|^Icon=.*|Icon=$icons/passline.svg|" \
    "$here/passline.desktop" >"$apps/passline.desktop"
chmod 644 "$apps/passline.desktop"
# Tell the desktop about the new menu entry, where the tool is there. (The entry names
# its icon by path: no icon cache to update.)
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" || true
fi

echo "Passline $("$lib/passline" --version | cut -d' ' -f2) installed in $lib"
echo "  command:    $prefix/bin/passline   (check it: passline --self-test)"
echo "  menu entry: $apps/passline.desktop"
case ":$PATH:" in
*":$prefix/bin:"*) ;;
*) echo "  note: $prefix/bin is not on your PATH; add it, or run $prefix/bin/passline" ;;
esac
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
case "$prefix/share" in
"$data_home" | /usr/share | /usr/local/share) ;;
*)
    echo "  note: desktop menus read $data_home/applications and the system's folders;"
    echo "        copy $apps/passline.desktop there for a menu entry"
    ;;
esac
