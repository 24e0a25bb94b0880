#!/usr/bin/env bash
# vn.py's own PositionMonitor fed the positions benchmark's tick (vnpy_positions.py), in a
# venv of its own: vn.py pins its own PySide6 and pulls TA-Lib, numpy and pandas, none of
# which belongs in this project's environment. HOME is a throw-away folder because vn.py
# writes its settings folder (.vntrader) there on import.
#   bash tests/thirdparty/run_vnpy_bench.sh [--rows 1000] [--ticks 3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VNPY_VENV:-${TMPDIR:-/tmp}/trading-dashboard-vnpy}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q vnpy
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
HOME=$home QT_QPA_PLATFORM=offscreen "$venv/bin/python" "$here/vnpy_positions.py" "$@"
