"""Export and import of the Capital.com simulator's state (the Sandbox's state file).

The login (API key, identifier, password) and the account ids come from the seed; what
is saved is what changed since: the market (positions, working orders, ledger with
top-ups), the deal confirmations (so a lost reply can still be reconciled after a
restart), watchlists, sessions (their idle time carried across on the wall clock) and
the id generators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.domain.exact_json import dumps, loads
from desktop_app.simulators.market_state import export_market, import_market
from desktop_app.simulators.snapshot_codec import rng_state, set_rng_state

if TYPE_CHECKING:
    from desktop_app.simulators.capital.state import CapitalState

_CONFIRMS_KEPT = 1000


def export_state(state: CapitalState) -> dict[str, Any]:
    with state._lock:
        now, mono = state.clock(), state.monotonic()
        confirms = list(state.confirms.items())[-_CONFIRMS_KEPT:]
        return {
            "origin": state.market.started_at,
            "market": export_market(state.market),
            "deal_counter": state._deal_counter,
            "rng": rng_state(state._rng),
            "preferred_account": state.preferred_account,
            "confirms": [[ref, dumps(body, allow_float=True).decode()] for ref, body in confirms],
            "watchlists": [[w.watchlist_id, w.name, list(w.epics), w.editable, w.default_system]
                           for w in state.watchlists.values()],
            "next_watchlist": state._next_watchlist,
            "sessions": [[s.cst, s.active_account, now - (mono - s.last_used),
                          dict(s.account_tokens)] for s in state.sessions.values()],
        }


def import_state(state: CapitalState, data: dict[str, Any]) -> None:
    from desktop_app.simulators.capital.state import Session, Watchlist

    with state._lock:
        import_market(state.market, data["market"])
        state._deal_counter = int(data["deal_counter"])
        set_rng_state(state._rng, data["rng"])
        state.preferred_account = str(data["preferred_account"])
        state.confirms = {str(ref): loads(text) for ref, text in data["confirms"]}
        state.watchlists = {
            str(i): Watchlist(str(i), str(name), [str(e) for e in epics], bool(editable),
                              bool(default))
            for i, name, epics, editable, default in data["watchlists"]
        }
        state._next_watchlist = int(data["next_watchlist"])
        now, mono = state.clock(), state.monotonic()
        # A session's one X-SECURITY-TOKEN is saved as {token: account} (what
        # ``Session.account_tokens`` gives); a dict passed as the token made the next
        # save fail (unhashable) and the Sandbox could not start a second time.
        state.sessions = {
            str(cst): Session(str(cst), str(active), mono - (now - float(used)),
                              *(str(k) for k in list(tokens)[:1]))
            for cst, active, used, tokens in data["sessions"]
        }
