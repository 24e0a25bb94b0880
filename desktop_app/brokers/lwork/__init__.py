"""LWork TW API adapter (a broker's CRM over MT4/MT5): accounts, positions, history,
signed deposits and transfers, withdrawals, opening accounts. No trading: trades are
placed in the MT4/MT5 terminal.

Sources (LW-DOCS): the seed (``shared/seeds/004_*``, sections 3.1-3.16) and LWork's
"Trader Work API" docs (base 1.x, user 2.x), summarised with their sources in
``shared/brokers/tradovate_upvest_lwork.md`` section 3.
"""

from desktop_app.brokers.lwork.bodies import RealAccountApplication, Withdrawal
from desktop_app.brokers.lwork.client import DEFAULT_URL, LWorkClient, parse_server_ids
from desktop_app.brokers.lwork.signing import Signer
from desktop_app.brokers.lwork.wire import CashRecord, DepositReceipt, TradingAccount

__all__ = [
    "DEFAULT_URL",
    "CashRecord",
    "DepositReceipt",
    "LWorkClient",
    "RealAccountApplication",
    "Signer",
    "TradingAccount",
    "Withdrawal",
    "parse_server_ids",
]
