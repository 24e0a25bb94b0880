#!/bin/sh
# Install Trading Dashboard into a freedesktop desktop: the launcher entry (.desktop), the
# AppStream metadata and the icon (SVG plus PNG 16-256), so it appears in the
# applications menu with its icon and opens like any other desktop app.
#
#   ./install.sh                  in an unpacked bundle folder (dist/trading-dashboard):
#                                 copies the folder to PREFIX/lib/trading-dashboard and
#                                 links PREFIX/bin/trading-dashboard to its executable
#   packaging/linux/install.sh --exec "$(command -v trading-dashboard)"
#                                 in a source checkout, for a pip-installed app
#   options:  --prefix DIR        default ~/.local (as root, e.g. --prefix /usr/local)
#             --exec PATH         the executable the launcher runs (not with a bundle)
#             --uninstall         remove what an install with the same prefix put there
set -eu

APP_ID=io.github.tradingdashboard.TradingDashboard
NAME=trading-dashboard
here=$(cd "$(dirname "$0")" && pwd -P)
prefix="$HOME/.local"
exec_path=""
uninstall=0

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --exec) [ $# -ge 2 ] || die "--exec needs a path"; exec_path=$2; shift 2 ;;
        --exec=*) exec_path=${1#--exec=}; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (try --help)" ;;
    esac
done
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd -P)

share="$prefix/share"
lib_dir="$prefix/lib/$NAME"
bin_link="$prefix/bin/$NAME"
desktop_file="$share/applications/$APP_ID.desktop"
metainfo_file="$share/metainfo/$APP_ID.metainfo.xml"
icon_root="$share/icons/hicolor"
ICON_DIRS="16x16 32x32 48x48 64x64 128x128 256x256 scalable"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$share/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icon_root/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$icon_root" 2>/dev/null || true
    fi
}

if [ "$uninstall" = 1 ]; then
    rm -f "$desktop_file" "$metainfo_file"
    for d in $ICON_DIRS; do
        rm -f "$icon_root/$d/apps/$APP_ID.png" "$icon_root/$d/apps/$APP_ID.svg"
    done
    if [ -L "$bin_link" ] && [ "$(readlink "$bin_link")" = "$lib_dir/$NAME" ]; then
        rm -f "$bin_link"
    fi
    if [ -x "$lib_dir/$NAME" ] && [ -d "$lib_dir/_internal" ]; then
        rm -rf "$lib_dir"
    fi
    refresh_caches
    echo "Trading Dashboard removed from $prefix"
    exit 0
fi

is_bundle() { [ -x "$1/$NAME" ] && [ -d "$1/_internal/desktop_app" ]; }

if is_bundle "$here"; then
    [ -z "$exec_path" ] || die "--exec is for a pip install; a bundle installs its own executable"
    if [ "$here" != "$lib_dir" ]; then
        if [ -e "$lib_dir" ]; then
            is_bundle "$lib_dir" || die "$lib_dir exists and is not a Trading Dashboard bundle"
            rm -rf "$lib_dir"
        fi
        mkdir -p "$(dirname "$lib_dir")"
        cp -a "$here" "$lib_dir"
    fi
    mkdir -p "$prefix/bin"
    ln -sfn "$lib_dir/$NAME" "$bin_link"
    exec_path=$bin_link
    icons="$lib_dir/_internal/desktop_app/resources/icons/hicolor"
else
    [ -n "$exec_path" ] || exec_path=$(command -v "$NAME" 2>/dev/null) \
        || die "no $NAME on PATH: pass --exec /path/to/$NAME"
    [ -f "$exec_path" ] && [ -x "$exec_path" ] || die "$exec_path is not an executable file"
    exec_path="$(cd "$(dirname "$exec_path")" && pwd -P)/$(basename "$exec_path")"
    icons="$here/../../desktop_app/resources/icons/hicolor"
fi
[ -d "$icons" ] || die "icons not found at $icons"

case "$exec_path" in
    *'"'*|*'`'*|*'$'*|*'\'*|*'%'*|*"'"*)
        die "the path $exec_path has characters a .desktop Exec line cannot carry plainly" ;;
esac
case "$exec_path" in
    *' '*) exec_line="\"$exec_path\"" ;;  # quoted as the Desktop Entry spec asks
    *) exec_line=$exec_path ;;
esac

mkdir -p "$share/applications" "$share/metainfo"
awk -v exec_line="$exec_line" -v try_exec="$exec_path" '
    /^Exec=/ { print "Exec=" exec_line; next }
    /^TryExec=/ { print "TryExec=" try_exec; next }
    { print }
' "$here/$APP_ID.desktop" > "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"
chmod 644 "$desktop_file"
cp "$here/$APP_ID.metainfo.xml" "$metainfo_file"
chmod 644 "$metainfo_file"
for d in $ICON_DIRS; do
    for ext in png svg; do
        src="$icons/$d/apps/$APP_ID.$ext"
        if [ -f "$src" ]; then
            mkdir -p "$icon_root/$d/apps"
            cp "$src" "$icon_root/$d/apps/$APP_ID.$ext"
            chmod 644 "$icon_root/$d/apps/$APP_ID.$ext"
        fi
    done
done
refresh_caches

echo "Trading Dashboard installed under $prefix"
echo "  launcher: $desktop_file (runs $exec_path)"
echo "  metadata: $metainfo_file"
echo "  icons:    $icon_root/*/apps/$APP_ID.{png,svg}"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) [ "$exec_path" != "$bin_link" ] || echo "  note: $prefix/bin is not on PATH; the launcher works regardless" ;;
esac
