#!/bin/sh
# Seconds from spawning a Passline executable to its window's first paint, offscreen,
# each of N starts on one (existing after the first start) database in a temporary HOME:
#   packaging/startup-time.sh [N] [COMMAND...]   (default: 5 dist/passline/passline)
# The first paint is read from Qt's own log (qt.widgets.painting, boot-clock timestamps).
set -eu
runs=${1:-5}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- "$(cd "$(dirname "$0")/.." && pwd)/dist/passline/passline"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    env -i HOME="$scratch" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
        QT_MESSAGE_PATTERN='%{time boot} %{category} %{message}' \
        QT_LOGGING_RULES='qt.widgets.painting=true' \
        sh -c 'read up _ </proc/uptime; echo "spawned $up"; exec timeout -s TERM 6 "$@" \
            --db "$HOME/passline.db" --port 0' sh "$@" 2>&1 |
        awk '/^spawned/ { t0 = $2 }
             /Painting and flushing dirty top level/ && /MainWindow/ && !done {
                 printf "start %d: window painted %.2f s after spawn\n", '"$i"', $1 - t0; done = 1 }'
done
