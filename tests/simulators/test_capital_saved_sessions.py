"""A Capital.com simulator restored with open sessions can be saved again (a second
restart of the Sandbox); the sessions keep their security tokens."""

from __future__ import annotations

import json

from desktop_app.simulators.runner import start_simulator


def test_restored_sessions_are_saved_again_with_their_tokens() -> None:
    sim = start_simulator("capital", port=0, seed=3)
    try:
        session = sim.state.open_session()
        saved = json.loads(json.dumps(sim.export_state()))
    finally:
        sim.stop()
    again = start_simulator("capital", port=0, seed=3, saved=saved)
    try:
        restored = again.state.sessions[session.cst]
        assert restored.security_token == session.security_token
        resaved = json.loads(json.dumps(again.export_state()))
        assert [s[3] for s in resaved["sessions"]] == [s[3] for s in saved["sessions"]]
    finally:
        again.stop()
