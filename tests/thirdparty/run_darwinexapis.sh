#!/usr/bin/env bash
# Darwinex Labs' darwinexapis run against the Darwinex simulator
# (tests/thirdparty/test_darwinexapis_client.py), the client in a venv of its own: it pulls
# pandas, matplotlib, plotly, dash and PyTables (about 520 MB), none of which belongs in
# this project's environment. websockets<14: the client uses the legacy
# websockets.connect(extra_headers=...) API that websockets 14 replaced.
#   bash tests/thirdparty/run_darwinexapis.sh [pytest options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${DARWINEXAPIS_VENV:-${TMPDIR:-/tmp}/trading-dashboard-darwinexapis}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q "darwinexapis==0.4.5" "websockets<14"
python=${PYTHON:-$root/.venv/bin/python}
cd "$root"
DARWINEXAPIS_PYTHON=$venv/bin/python "$python" -m pytest -q -p no:cacheprovider \
    tests/thirdparty/test_darwinexapis_client.py "$@"
