"""Opening MT accounts through LWork (demo 3.6 with the types of 1.7, real 3.5) and the
account holder's name (3.12).

LWork answers a demo opening with no login: the new account is the one that appears in
the user's account list (2.8) on that platform, with the name given, that was not there
before. A real opening answers its login. Which live servers a real account may go on
is not listed by the API: the profile's server ids name them (LWork's Support Center
shows them to the tenant).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from desktop_app.brokers.lwork import forms, mapping
from desktop_app.brokers.lwork.bodies import RealAccountApplication, required
from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.funding import LWorkFunding
from desktop_app.brokers.lwork.wire import VENDORS, TradingAccount
from desktop_app.domain.errors import BrokerError, NotSupported, ValidationError
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
    OrderStatus,
)
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


def live_servers(server_ids: Mapping[str, str],
                 accounts: Iterable[TradingAccount]) -> list[tuple[str, str, str]]:
    """(vendor, server id, name) of the live servers the profile names: a server the
    user's live accounts are on, or one whose name does not say demo."""
    listed = list(accounts)
    found: list[tuple[str, str, str]] = []
    for name, server_id in server_ids.items():
        on_it = [a for a in listed if a.server_name == name]
        vendor = next((v for v in VENDORS if name.upper().startswith(v)), "")
        vendor = vendor or (on_it[0].vendor if on_it else "")
        live = any(a.live for a in on_it) if on_it else "demo" not in name.lower()
        if vendor and live:
            found.append((vendor, server_id, name))
    return found


def _split(value: str, field: str, what: str) -> tuple[str, str]:
    vendor, sep, rest = value.partition(":")
    if not sep or vendor not in VENDORS or not rest:
        raise ValidationError(f"Choose {what}.", field=field, broker=BROKER)
    return vendor, rest


class LWorkOpening(LWorkFunding):
    async def account_opening_forms(self) -> list[AccountOpeningForm]:
        types: dict[str, list[Any]] = {}
        for vendor in VENDORS:
            try:
                types[vendor] = await self.client.demo_account_types(vendor)
            except BrokerError as exc:  # one platform the tenant does not offer
                log.info("LWork demo account types for %s: %s", vendor, exc.message)
        found = [forms.demo_form(types)] if any(types.values()) else []
        detail = await self._user_detail(Priority.INTERACTIVE)
        servers = live_servers(self.client.server_ids, detail.accounts)
        if servers:
            found.append(forms.real_form(servers))
        if not found:
            raise NotSupported("LWork offers no demo account type, and the profile names no "
                               "live server (add e.g. MT4-Live=430 to its server ids).",
                               broker=BROKER)
        return found

    async def open_account(
        self, opening: AccountOpening, on_reference: OnReference | None = None
    ) -> AccountOpeningResult:
        if opening.connection != self.connection_id:
            raise ValidationError("That opening is for another connection.", broker=BROKER)
        values = {k: v.strip() for k, v in opening.values.items()}
        if opening.kind == forms.DEMO_KIND:
            return await self._open_demo(values)
        if opening.kind == forms.REAL_KIND:
            return await self._open_real(values, on_reference)
        raise ValidationError(f"LWork opens demo or real accounts, not {opening.kind!r}.",
                              broker=BROKER)

    async def _open_demo(self, values: dict[str, str]) -> AccountOpeningResult:
        vendor, type_id = _split(values.get(forms.DEMO_TYPE_FIELD, ""),
                                 forms.DEMO_TYPE_FIELD, "a demo account type")
        name = required(values.get("accountName", ""), "The account name", "accountName")
        phone = required(values.get("phone", ""), "The phone number", "phone")
        known = {a.login for a in (await self._user_detail(Priority.INTERACTIVE)).accounts}
        await self.client.open_demo_account(vendor=vendor, demo_account_type=type_id,
                                            account_name=name, phone=phone)
        self._forget_list()
        try:
            after = await self._user_detail(Priority.INTERACTIVE, fresh=True)
        except BrokerError as exc:
            return AccountOpeningResult(
                OrderStatus.ACCEPTED,
                message=f"LWork opened the {vendor} demo account; it appears in the list "
                f"shortly (the list could not be read now: {exc.message}).")
        new = [a for a in after.accounts if a.login not in known and a.vendor == vendor
               and not a.live and a.name == name]
        if len(new) != 1:
            return AccountOpeningResult(
                OrderStatus.ACCEPTED,
                message=f"LWork opened the {vendor} demo account “{name}”; it appears in "
                "the list shortly.")
        opened = new[0]
        return AccountOpeningResult(
            OrderStatus.ACCEPTED, mapping.account_ref(self.connection_id, opened.login),
            f"LWork opened {vendor} demo account {opened.login} “{name}” on "
            f"{opened.server_name or vendor}.")

    async def _open_real(self, values: dict[str, str],
                         on_reference: OnReference | None) -> AccountOpeningResult:
        vendor, server_id = _split(values.get(forms.SERVER_FIELD, ""), forms.SERVER_FIELD,
                                   "the platform and server")
        leverage = values.get("leverage", "")
        if not leverage.isdigit():
            raise ValidationError("Choose the leverage.", field="leverage", broker=BROKER)
        application = RealAccountApplication(
            vendor=vendor, server_id=server_id, group=values.get("group", ""),
            leverage=int(leverage), account_name=values.get("accountName", ""),
            email=values.get("email", ""), country_code=values.get("countryCode", ""),
            phone=values.get("phone", ""),
        )
        data = await self.client.open_real_account(application)
        login = str(data["login"])
        self.hand_over(on_reference, login)
        self._forget_list()
        return AccountOpeningResult(
            OrderStatus.ACCEPTED, mapping.account_ref(self.connection_id, login),
            f"LWork opened real {vendor} account {login} (group "
            f"{data.get('group', application.group)}, 1:{data.get('leverage', leverage)}); "
            "deposit into it to start.")

    # ------------------------------------------------------------------ the holder

    async def owner_name(self) -> str:
        info = await self.client.owner_info()
        for key in ("base", "baseInfo"):
            base = info.get(key)
            if isinstance(base, dict) and str(base.get("accountName") or "").strip():
                return str(base["accountName"]).strip()
        detail = await self._user_detail(Priority.INTERACTIVE)
        return detail.nickname or detail.user_name

    async def rename_owner(self, name: str) -> str:
        cleaned = name.strip()
        await self.client.update_owner_base_info(account_name=cleaned)
        self._forget_list()
        return cleaned
