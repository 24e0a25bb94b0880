"""Tradovate as a BrokerService (see ``core`` for the choices where the API leaves room).

Assembled from ``core`` (client, accounts, contracts, quotes), ``orders`` (working
orders, placing, reconciling, cancelling, modifying, history) and ``funding`` (the demo
balance change); this module adds the account list, markets and positions.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import Any

from desktop_app.brokers.tradovate import hours, mapping
from desktop_app.brokers.tradovate.core import SUGGEST_LIMIT
from desktop_app.brokers.tradovate.funding import TradovateFunding
from desktop_app.brokers.tradovate.orders import TradovateOrders
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError, NotFound, Rejected
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountRef,
    Instrument,
    OrderResult,
    OrderStatus,
    Position,
    Quote,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)


class TradovateService(TradovateOrders, TradovateFunding):
    async def accounts(self) -> list[Account]:
        listed = await self._account_list()
        result = []
        for account_id, item in listed.items():
            snapshot: dict[str, Any] | None
            try:
                snapshot = await self.client.cash_snapshot(account_id)
            except Rejected as exc:
                # e.g. a closed account: listed, but without figures.
                log.info("Tradovate snapshot of %s refused: %s", account_id, exc.message)
                snapshot = None
            result.append(mapping.account(
                item, connection=self.connection_id, environment=self.served_environment,
                snapshot=snapshot,
            ))
        return result

    async def switch_account(self, account: AccountRef) -> None:
        self._account_id(account)  # nothing to switch; only checked

    # ------------------------------------------------------------------ markets

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        self._account_id(account)
        contract = await self._contract(symbol)
        name = str(contract.get("name"))
        streamed = self._streamed.get(name)
        # No request while the stream has it.
        quote = (streamed if streamed is not None and self._stream_live
                 else await self._quote(name))
        return self._in_session(quote, await self._session(name))

    async def _session(self, contract_name: str) -> hours.SessionNow | None:
        """The product's session now (``/productSession``, read once per product)."""
        product = await self._product(contract_name)
        if product is None or product.product_id is None:
            return None
        if product.product_id not in self._sessions:
            try:
                found = await self.client.product_sessions(product.product_id)
            except (NotFound, Rejected) as exc:
                log.info("Tradovate session of %s unknown: %s", product.name, exc.message)
                found = []
            self._sessions[product.product_id] = next(
                (s for s in found if isinstance(s, dict)), None)
        session = self._sessions[product.product_id]
        return hours.session_now(session, self.now()) if session is not None else None

    @staticmethod
    def _in_session(quote: Quote, now: hours.SessionNow | None) -> Quote:
        """A quote saying when trading starts, outside the session. Said, not enforced:
        the session has no holiday calendar and no zone of its own, so Tradovate's own
        answer to an order decides (its refusal, "Market is closed", is shown)."""
        if now is None or now.state is hours.SessionState.OPEN:
            return quote
        note = ("Pre-open: Tradovate takes limit and stop orders now, market orders once "
                "trading starts." if now.state is hours.SessionState.PRE_OPEN else
                "Outside Tradovate's trading session: orders are refused until it opens.")
        return replace(quote, opens_at=now.opens_at, note=note)

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self._account_id(account)
        term = text.strip().upper()
        if not term:
            return []
        found = [c for c in await self.client.contract_suggest(term, SUGGEST_LIMIT)
                 if isinstance(c, dict) and c.get("name")]
        names = {str(c["name"]).upper() for c in found}
        if term not in names and mapping.split_contract_name(term) is not None:
            with contextlib.suppress(NotFound, Rejected):
                found.insert(0, await self.client.contract_find(term))
        result = []
        for contract in found:
            if contract.get("id") is not None:
                self._remember_contract(contract)
            name = str(contract.get("name"))
            result.append(mapping.instrument(contract, await self._product(name)))
        return result

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        self._account_id(account)
        contract = await self._contract(symbol, Priority.INTERACTIVE)
        name = str(contract.get("name"))
        quote = await self._quote_or_none(name)
        session = await self._session(name)
        inst = mapping.instrument(
            contract, await self._product(name),
            self._in_session(quote, session) if quote is not None else None,
        )
        if session is not None and session.state is not hours.SessionState.OPEN:
            inst = replace(inst, opens_at=session.opens_at)
        return inst

    # ------------------------------------------------------------------ positions

    async def _open_positions(
        self, account_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        raw = await self.client.position_list(priority=priority)
        held = []
        for item in raw:
            if not isinstance(item, dict) or item.get("accountId") is None:
                continue
            if mapping.wire_id(item["accountId"]) != account_id:
                continue
            self._positions[str(item.get("id"))] = (
                account_id, mapping.wire_id(item.get("contractId"))
            )
            net = mapping.number(item, "netPos")
            if net:
                held.append(item)
        return held

    async def positions(self, account: AccountRef) -> list[Position]:
        account_id = self._account_id(account)
        held = await self._open_positions(account_id)
        await self._contracts_by_id(mapping.wire_id(p.get("contractId")) for p in held)
        result = []
        for item in held:
            name = self._contract_name(mapping.wire_id(item.get("contractId")))
            result.append(mapping.position(
                item, account, contract_name=name, product=await self._product(name),
                quote=await self._quote_or_none(name),
            ))
        return result

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        account_id = self._account_id(account)
        self.require_live_opt_in("Closing positions")
        where = self._positions.get(position_id)
        if where is None or where[0] != account_id:
            await self._open_positions(account_id, priority=Priority.INTERACTIVE)
            where = self._positions.get(position_id)
        if where is None or where[0] != account_id:
            return OrderResult(
                OrderStatus.REJECTED,
                reason="Tradovate lists no such position on this account (already closed?).",
            )
        contract_id = where[1]
        body = {"accountId": account_id, "contractId": contract_id, "admin": False}
        try:
            reply = await self.client.liquidate_position(body)
        except MaybeSent as exc:
            return await self._flat(account_id, position_id, exc.message)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        order_id = reply.get("orderId")
        return OrderResult(
            OrderStatus.ACCEPTED,
            broker_ref=str(order_id) if order_id is not None else "",
            deal_ids=(position_id,),
            reason="Liquidation order sent.",
        )

    async def _flat(self, account_id: int, position_id: str, lost: str) -> OrderResult:
        """After a lost liquidation reply: flat means done; still open proves nothing."""
        try:
            held = await self._open_positions(account_id, priority=Priority.INTERACTIVE)
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(position_id,),
                reason=f"{lost} The positions could not be read ({exc.message}).",
            )
        if all(str(p.get("id")) != position_id for p in held):
            return OrderResult(OrderStatus.ACCEPTED, deal_ids=(position_id,),
                               reason="The reply was lost; the position is flat.")
        return OrderResult(
            OrderStatus.UNKNOWN, deal_ids=(position_id,),
            reason=f"{lost} The position is still open for now; nothing was resent.",
        )



def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Typed as the contract: the type checker fails if the service misses a member.
    return TradovateService(profile, credentials, request_log)
