"""Which account a panel acts on, in words: broker · account · currency · DEMO/LIVE."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from desktop_app.domain.types import Account, AccountRef

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub


@dataclass(frozen=True, slots=True)
class AccountContext:
    broker: str
    account: str
    currency: str
    live: bool
    connection: str = ""

    @property
    def environment(self) -> str:
        return "LIVE" if self.live else "DEMO"

    @property
    def text(self) -> str:
        parts = (self.broker, self.account, self.currency, self.environment)
        return " · ".join(p for p in parts if p)

    @property
    def tooltip(self) -> str:
        where = f" (connection “{self.connection}”)" if self.connection else ""
        money = "real money" if self.live else "demo money, no real money at stake"
        return f"Orders and closes here go to {self.account} at {self.broker}{where}: {money}."


def find_account(hub: Hub, ref: AccountRef | None) -> Account | None:
    return hub.account(ref)


def account_name(account: Account | None, ref: AccountRef) -> str:
    """The account's name with its id where they differ ("USD (ACC-12)"), else the id."""
    name = account.name if account is not None else ""
    if name and name != ref.account_id:
        return f"{name} ({ref.account_id})"
    return ref.account_id


def account_context(hub: Hub, ref: AccountRef | None) -> AccountContext | None:
    if ref is None:
        return None
    account = find_account(hub, ref)
    broker = next((b.display_name for b in hub.brokers() if b.broker == ref.broker), ref.broker)
    connection = next(
        (c.profile.name for c in hub.connections() if c.profile.connection_id == ref.connection),
        "",
    )
    return AccountContext(
        broker=broker,
        account=account_name(account, ref),
        currency=account.currency if account is not None else "",
        live=hub.is_live(ref),
        connection=connection,
    )


def equity_of(hub: Hub, ref: AccountRef | None) -> tuple[Decimal | None, str]:
    """The account's last known equity and its currency (None when not known yet)."""
    account = find_account(hub, ref)
    if account is None or account.balance is None:
        return None, account.currency if account is not None else ""
    return account.balance.equity, account.balance.currency or account.currency
