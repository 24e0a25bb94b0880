"""Upvest Investment API adapter: signed client, mapping, webhook receiver.

Upvest is an investment API a fintech uses to run securities accounts for its users:
an Upvest connection is an operator's desk over users, their account groups (cash lives
there) and accounts (positions and orders live there). Facts: the accounts seed
(``shared/seeds/003``) and the notes' section 2 (UP-SPEC 1.9.0, UP-PY, UP-DOCS).

- ``signing``/``auth``: HTTP message signatures v15 on every request (ECDSA P-521 with
  SHA-512, or Ed25519), as an ``httpx.Auth`` so the exact bytes sent are signed;
- ``connection``: OAuth2 client credentials renewed before expiry, one resend after a
  401, idempotency keys on creating POSTs (a lost reply asked again with the same key),
  paging over ``offset``/``limit``;
- ``client``: the endpoints; ``errors``: problem+json as typed errors with the request
  id; ``budgets``: our own conservative budget and exponential 429 back-off;
- ``mapping``: Upvest JSON to domain values; ``webhooks``: the local receiver.

Choices where Upvest's sources are silent (UNCONFIRMED) are marked where they are made:
the webhook envelope (``{"payload": [...]}``, a list or one event are all read), the
webhook signature's covered headers (read from ``signature-input``), the step of
fractional shares (six decimals), and which scope reads the cash balance
(``payments:read``).

The package itself imports nothing: the registry reads ``spec`` at start-up, and the
client (cryptography, signatures) loads when a connection is made.
"""
