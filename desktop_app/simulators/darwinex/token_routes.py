"""POST /token: the OAuth2 refresh-token grant behind HTTP Basic client authentication."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.pipeline import Ctx, Endpoint, Reply
from desktop_app.simulators.darwinex.tokens import OAuthClient


def _client(ctx: Ctx) -> OAuthClient | None:
    value = ctx.header("Authorization") or ""
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    return ctx.state.tokens.client_for(key, secret) if colon else None


def post_token(ctx: Ctx) -> Reply:
    client = _client(ctx)
    if client is None:
        raise errors.oauth(401, "invalid_client", "Client Authentication failed.")
    try:
        form = parse_qs(ctx.raw_body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        form = {}
    grant = (form.get("grant_type") or [""])[0]
    if grant != "refresh_token":
        # The legacy password grant ([DT]) is not offered: tokens come from the website.
        raise errors.oauth(400, "unsupported_grant_type", "Unsupported grant_type value")
    refresh = (form.get("refresh_token") or [""])[0].strip()
    if not refresh:
        raise errors.oauth(400, "invalid_request", "Missing parameters: refresh_token")
    pair = ctx.state.tokens.rotate(client, refresh)
    if pair is None:
        raise errors.oauth(400, "invalid_grant", "Persisted access token data not found")
    return Reply(ctx.state.tokens.reply(*pair))


ENDPOINTS = [Endpoint("POST", "/token", post_token, api=None)]
