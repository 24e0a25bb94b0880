"""The hub's funding: the broker's rules (with a cooldown from the journal), checks before
sending, and the journalled funding request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace

from desktop_app.domain.account_rules import account_allows
from desktop_app.domain.errors import NotSupported, PermissionDenied, ValidationError
from desktop_app.domain.money import format_duration, format_money, utc_now
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
)
from desktop_app.session.connection import Connection
from desktop_app.session.events import Topic
from desktop_app.session.hub_followup import HubFollowUp
from desktop_app.session.writes import FundingLedger, JournalledWrite
from desktop_app.storage.journal import DuplicateRequest

# Private funding details (bank details) are kept per connection in the keyring under
# this prefix: the trader types them once; never journalled or logged.
PRIVATE_PREFIX = "funding."


class HubFunding(HubFollowUp):
    # ------------------------------------------------------------------ private details
    async def remembered_details(self, connection_id: str, names: Iterable[str]) -> dict[str, str]:
        """Private funding values (bank details) kept for this connection."""
        wanted = sorted(set(names))
        stored = await self.secrets.aget_many(connection_id,
                                              [PRIVATE_PREFIX + n for n in wanted])
        return {k[len(PRIVATE_PREFIX):]: v for k, v in stored.items() if v}

    async def remember_details(self, connection_id: str, values: Mapping[str, str]) -> None:
        """Keep private funding values in the keyring (empty ones are forgotten)."""
        keep = {PRIVATE_PREFIX + k: v for k, v in values.items() if v}
        await self.secrets.aset_many(connection_id, keep)
        for name in [k for k, v in values.items() if not v]:
            await self.secrets.adelete(connection_id, PRIVATE_PREFIX + name)

    # ------------------------------------------------------------------ funding
    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        """The broker's rules, with ``next_allowed_at`` from the journal when they have a
        cooldown: the last request that may have taken effect starts it."""
        conn = self._connections.get(account.connection)
        if conn is None or conn.service is None:
            return None
        rules = conn.service.funding_rules(account, kind)
        if rules is None or rules.cooldown is None:
            return rules
        last = self.journal.last_funding_at(account, kind.value)
        if last is None:
            return rules
        next_at = last + rules.cooldown
        return replace(rules, next_allowed_at=next_at if next_at > utc_now() else None)

    def _validate_funding(
        self, conn: Connection, request: FundingRequest, rules: FundingRules | None
    ) -> None:
        caps = conn.capabilities
        if rules is None:
            reason = caps.why_not(request.kind.value) if caps else ""
            raise NotSupported(reason or f"{request.kind.value} is not offered here.")
        account = self._account(request.account)
        if account is not None and not account_allows(account).funding:
            raise PermissionDenied(
                f"No funding on {account.name or account.ref.account_id} "
                f"({account.status.value.replace('_', ' ')}).",
                hint=account_allows(account).why + " Nothing was sent.",
            )
        if rules.demo_only and conn.profile.is_live:
            raise PermissionDenied(
                f"{request.kind.value} works on demo accounts only.",
                hint=rules.notes or "",
            )
        self._check_live(conn, "Moving money")
        amount = request.amount
        if amount == 0 or (amount < 0 and not rules.allow_negative):
            raise ValidationError("The amount must be above zero.", field="amount")
        size = abs(amount)
        if size < rules.min_amount or size > rules.max_amount:
            raise ValidationError(
                f"The amount must be between {format_money(rules.min_amount, rules.currency)} "
                f"and {format_money(rules.max_amount, rules.currency)}.",
                field="amount",
            )
        if rules.next_allowed_at is not None and rules.next_allowed_at > utc_now():
            wait = rules.next_allowed_at - utc_now()
            minutes = max(1, int(wait.total_seconds() + 59) // 60)
            raise ValidationError(
                f"One change per account every {format_duration(rules.cooldown)}: the next "
                f"is allowed at {rules.next_allowed_at:%H:%M} UTC (in {minutes} min).",
                field="amount",
            )
        if rules.max_resulting_balance is not None:
            balance = self._cash_balance(request.account)
            if balance is not None:
                resulting = balance + amount
                if resulting > rules.max_resulting_balance:
                    raise ValidationError(
                        f"The balance would be {format_money(resulting, rules.currency)}; "
                        "it may be at most "
                        f"{format_money(rules.max_resulting_balance, rules.currency)}.",
                        field="amount",
                    )
                if resulting < 0:
                    raise ValidationError(
                        f"The balance would be {format_money(resulting, rules.currency)}, "
                        "below zero.", field="amount",
                    )
        if rules.comment_max_len and len(request.comment) > rules.comment_max_len:
            raise ValidationError(
                f"The comment can be at most {rules.comment_max_len} characters.",
                field="comment",
            )

    async def fund(self, request: FundingRequest) -> FundingResult:
        conn = self._usable(request.account.connection)
        service = conn.service
        assert service is not None
        self._validate_funding(conn, request, self.funding_rules(request.account, request.kind))
        try:
            entry_id = await self.writer.before_send(self.journal.begin_funding, request)
        except DuplicateRequest as exc:
            raise ValidationError(
                "This request was already sent once (same reference); it is not sent again."
            ) from exc
        def send(on_ref: Callable[[str], None]) -> Awaitable[FundingResult]:
            return service.fund(request, on_reference=on_ref)

        async def reconcile(ref: str) -> FundingResult | None:
            # The broker's records, by its reference or made since this entry and not
            # claimed by another (brokers that cannot look one up say UNKNOWN).
            entry = self.journal.funding_entry(entry_id)
            assert entry is not None
            claimed = frozenset(self.journal.claimed_funding_refs(entry))
            return await service.reconcile_funding(request, ref, since=entry.created,
                                                   exclude=claimed)

        def after() -> None:
            self.poller.refresh(request.account.connection, None, (Topic.BALANCES,))
            # A request the broker took but has not settled, or whose outcome is not
            # known, is looked up again until it settles (session.hub_followup).
            self.follow_funding(request.account.connection)

        return await self._journalled(
            JournalledWrite(
                FundingLedger(self.writer), entry_id, send, reconcile, references=False,
                broker=service.broker,
            ),
            request.account, after,
        )

