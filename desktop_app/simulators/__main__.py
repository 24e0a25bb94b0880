"""python -m desktop_app.simulators NAME --port N [--seed S] [--session-timeout SECONDS]"""

from __future__ import annotations

import argparse
import threading

from desktop_app.simulators.registry import simulator_names
from desktop_app.simulators.runner import describe, start_simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_app.simulators",
        description="Run one broker simulator in the foreground until Ctrl-C.",
    )
    parser.add_argument("name", choices=simulator_names())
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--session-timeout", type=float, default=600.0, metavar="SECONDS")
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    sim = start_simulator(
        args.name,
        port=args.port,
        seed=args.seed,
        session_idle_timeout=args.session_timeout,
        host=args.host,
        access_log=args.access_log,
    )
    print(describe(sim), flush=True)
    print("Ctrl-C stops it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
