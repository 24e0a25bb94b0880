"""Tokens, verification keys, users, account groups and accounts (the seed, all of it).

Choices where the sources are silent (UNCONFIRMED): a new account is PENDING_APPROVAL
until ``approval_delay`` passes (0: ACTIVE at once); a rename is refused on a CLOSED
account (409); closing is refused unless the account is ACTIVE (409); an unknown user or
group, or a group of another user, is 422; a bad ``type`` or a name over 100 characters
is 400.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from desktop_app.simulators.upvest import lifecycle
from desktop_app.simulators.upvest.model import Account
from desktop_app.simulators.upvest.pipeline import Ctx, Endpoint, Reply, listing
from desktop_app.simulators.upvest.problems import (
    Problem,
    bad_request,
    conflict,
    forbidden,
    not_found,
    unauthorised,
    unprocessable,
)

KNOWN_SCOPES = frozenset({
    "users:read", "users:admin", "accounts:read", "accounts:admin", "orders:read",
    "orders:admin", "positions:read", "instruments:read", "payments:read", "payments:admin",
    "webhooks:read", "webhooks:admin", "virtual_cash_balances:admin", "valuations:read",
})
READ_ACCOUNTS = ("accounts:read", "accounts:admin")
ADMIN_ACCOUNTS = ("accounts:admin",)


def issue_token(ctx: Ctx) -> Reply:
    form = dict(parse_qsl(ctx.raw.decode("utf-8", "replace"), keep_blank_values=True))
    state = ctx.state
    if form.get("grant_type") != "client_credentials":
        raise bad_request("grant_type must be client_credentials")
    if form.get("client_id") != state.client_id or form.get("client_secret") != \
            state.client_secret:
        raise unauthorised("Invalid client credentials")
    scopes = set((form.get("scope") or "").split())
    if not scopes:
        raise bad_request("scope is required")
    unknown = scopes - KNOWN_SCOPES
    if unknown:
        raise forbidden(f"Scope not granted: {' '.join(sorted(unknown))}")
    token = state.issue_token(scopes)
    return Reply({"access_token": token.value, "expires_in": int(state.token_lifetime),
                  "token_type": "bearer", "scope": " ".join(sorted(scopes))})


def verify_keys(ctx: Ctx) -> Reply:
    return Reply({"keys": [dict(ctx.state.webhook_jwk)]})


def list_users(ctx: Ctx) -> Reply:
    return listing(ctx, list(ctx.state.users.values()), ("created_at",))


def get_user(ctx: Ctx) -> Reply:
    user = ctx.state.users.get(ctx.params["user_id"])
    if user is None:
        raise not_found("User not found")
    return Reply(user.payload())


def list_groups(ctx: Ctx) -> Reply:
    groups = list(ctx.state.groups.values())
    user_id = ctx.params.get("user_id")
    if user_id is not None:
        if user_id not in ctx.state.users:
            raise not_found("User not found")
        groups = [g for g in groups if g.user_id == user_id]
    return listing(ctx, groups, ("created_at",))


def get_group(ctx: Ctx) -> Reply:
    group = ctx.state.groups.get(ctx.params["account_group_id"])
    if group is None:
        raise not_found("Account group not found")
    return Reply(group.payload())


def list_accounts(ctx: Ctx) -> Reply:
    accounts = list(ctx.state.accounts.values())
    user_id = ctx.params.get("user_id")
    if user_id is not None:
        if user_id not in ctx.state.users:
            raise not_found("User not found")
        accounts = [a for a in accounts if a.user_id == user_id]
    return listing(ctx, accounts)


def _account(ctx: Ctx) -> Account:
    account = ctx.state.accounts.get(ctx.params["account_id"])
    if account is None:
        raise not_found("Account not found")
    return account


def get_account(ctx: Ctx) -> Reply:
    return Reply(_account(ctx).payload())


def _name(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("name must be a string")
    if len(value) > 100:
        raise bad_request("name must be at most 100 characters long")
    return value


def create_account(ctx: Ctx) -> Reply:
    state, body = ctx.state, ctx.body
    kind = body.get("type")
    if kind not in ("TRADING", "PORTFOLIO"):
        raise bad_request("type must be TRADING or PORTFOLIO")
    name = _name(body.get("name"))
    user = state.users.get(str(body.get("user_id")))
    group = state.groups.get(str(body.get("account_group_id")))
    if user is None or group is None:
        raise unprocessable("Unknown user or account group")
    if group.user_id != user.id:
        raise unprocessable("The account group does not belong to the user")
    pending = state.approval_delay > 0
    account = state.add_account(user.id, group.id, kind, name or "",
                                "PENDING_APPROVAL" if pending else "ACTIVE")
    state.emit("ACCOUNT.CREATED", account.payload())
    if pending:
        lifecycle.schedule_approval(state, account)
    return Reply(account.payload())


def rename_account(ctx: Ctx) -> Reply:
    account = _account(ctx)
    if "name" not in ctx.body:
        raise bad_request("name is required")
    name = _name(ctx.body.get("name"))
    if account.status == "CLOSED":
        raise conflict("The account is closed")
    account.name = name
    account.updated = ctx.state.now()
    ctx.state.emit("ACCOUNT.UPDATED", account.payload())
    return Reply(account.payload())


def close_account(ctx: Ctx) -> Reply:
    state = ctx.state
    account = _account(ctx)
    if account.status != "ACTIVE":
        raise conflict(f"An account can only be closed while ACTIVE; it is {account.status}")
    state.set_status(account, "CLOSING", "ACCOUNT.CLOSING_INITIATED")
    lifecycle.schedule_closure(state, account)
    return Reply(None, 202)


def _nothing(ctx: Ctx) -> Reply:
    raise Problem(405, "method_not_allowed")


ENDPOINTS = [
    Endpoint("POST", "/auth/token", issue_token),
    Endpoint("GET", "/auth/verify_keys", verify_keys, ("webhooks:read", "webhooks:admin")),
    Endpoint("GET", "/users", list_users, ("users:read", "users:admin")),
    Endpoint("GET", "/users/{user_id}", get_user, ("users:read", "users:admin")),
    Endpoint("GET", "/account_groups", list_groups, READ_ACCOUNTS),
    Endpoint("GET", "/users/{user_id}/account_groups", list_groups, READ_ACCOUNTS),
    Endpoint("GET", "/account_groups/{account_group_id}", get_group, READ_ACCOUNTS),
    Endpoint("GET", "/accounts", list_accounts, READ_ACCOUNTS),
    Endpoint("GET", "/users/{user_id}/accounts", list_accounts, READ_ACCOUNTS),
    Endpoint("POST", "/accounts", create_account, ADMIN_ACCOUNTS, creating=True,
             json_body=True),
    Endpoint("GET", "/accounts/{account_id}", get_account, READ_ACCOUNTS),
    Endpoint("PATCH", "/accounts/{account_id}", rename_account, ADMIN_ACCOUNTS,
             json_body=True),
    Endpoint("DELETE", "/accounts/{account_id}", close_account, ADMIN_ACCOUNTS),
]
