"""Upvest simulator: the Investment API of https://sandbox.upvest.co on one host.

Paths and bodies of UP-SPEC 1.9.0 (the notes' ``shared/brokers/tradovate_upvest_lwork.md``
section 2, and the accounts seed ``003``): ``POST /auth/token`` (signed, form body),
``GET /auth/verify_keys``, users, account groups, accounts (list with paging, a user's,
get, create, rename, close), instruments, orders with executions, positions, the group's
cash balance, current valuations, virtual cash increases/decreases, webhooks.

Every request is checked as Upvest does (``pipeline``, ``verify``): client id, v15
HTTP message signature (ECDSA P-521/SHA-512 or Ed25519 keys registered for the tenant),
bearer token and scopes, idempotency keys on creating POSTs, paging parameters. Status
changes run on timers (``state``) and every change is delivered to the enabled
webhooks, signed with Upvest's webhook key and retried with back-off (``delivery``).

Run alone: ``python -m desktop_app.simulators upvest --port N`` prints the base URL, the
client id and secret, the key id and the file holding the demo client's private key.
"""

from __future__ import annotations

from desktop_app.simulators.registry import SimulatorBundle
from desktop_app.simulators.upvest.app import create_app
from desktop_app.simulators.upvest.state import UpvestState


def create_simulator(
    seed: int, *, session_idle_timeout: float = 600.0, origin: float | None = None
) -> SimulatorBundle:
    """``session_idle_timeout`` is taken for the registry's common signature: Upvest tokens
    expire after ``state.token_lifetime`` instead of idling out. ``origin``: the first
    start of a restored simulator (``persistence``)."""
    state = UpvestState(seed, origin=origin)
    return SimulatorBundle(
        name="upvest",
        display_name="Upvest",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root="",
    )


__all__ = ["UpvestState", "create_simulator"]
