"""Capital.com error answers: always ``{"errorCode": "..."}`` with an HTTP status.

Codes and statuses marked [PM] appear in the official Postman collection's examples.
[3P] codes come from third-party clients (status UNCONFIRMED). Codes marked UNCONFIRMED
were chosen here where the documentation is silent; they follow the documented style.
"""

from __future__ import annotations


class CapitalError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


# [PM]
NULL_API_KEY = "error.null.api.key"  # 400
INVALID_DETAILS = "error.invalid.details"  # 401
TOO_MANY_REQUESTS = "error.too-many.requests"  # 429
INVALID_ACCOUNT_ID = "error.invalid.accountId"  # 400
NOT_DIFFERENT_ACCOUNT_ID = "error.not-different.accountId"  # 400 ([PM] FAQ wording)
INVALID_LEVERAGE = "error.invalid.leverage.value"  # 400
INVALID_FROM = "error.invalid.from"  # 400
INVALID_TO = "error.invalid.to"  # 400 (by analogy with .from)
INVALID_LIMIT = "error.invalid.limit"  # 400
INVALID_RESOLUTION = "error.invalid.resolution"  # 400
NULL_SEARCH_TERM = "error.null.searchTerm"  # 400
NULL_EPIC = "error.null.epic"  # 400
NOT_IN_FUTURE_GOOD_TILL = "error.not-in-future.goodTillDate"  # 400
WATCHLIST_NAME_SIZE = "error.size.createwatchlistrequest.name"  # 400
NOT_FOUND_DEAL_ID = "error.not-found.dealId"  # 404
NOT_FOUND_DEAL_REFERENCE = "error.not-found.dealReference"  # 404
NOT_FOUND_EPIC = "error.not-found.epic"  # 404
NOT_FOUND_WATCHLIST = "error.not-found.watchlist"  # 404 (DELETE)
INVALID_WATCHLIST = "error.invalid.watchlist"  # 404 (GET)
STOP_MIN = "error.invalid.stoploss.minvalue"  # 400, ": <level>" appended
STOP_MAX = "error.invalid.stoploss.maxvalue"
PROFIT_MIN = "error.invalid.takeprofit.minvalue"
PROFIT_MAX = "error.invalid.takeprofit.maxvalue"

# [3P]
INVALID_SESSION_TOKEN = "error.invalid.session.token"  # 401 for a missing/unknown/expired CST
INVALID_ACCOUNT_TOKEN = "error.security.account.token.invalid"  # 401, X-SECURITY-TOKEN
INVALID_API_KEY = "error.invalid.api.key"  # 401

# UNCONFIRMED
NOT_FOUND = "error.not-found.path"  # 404, unknown path
METHOD_NOT_ALLOWED = "error.method.not-allowed"  # 405
MALFORMED_BODY = "error.malformed.request"  # 400, body is not a JSON object
NOT_FOUND_NODE = "error.not-found.nodeId"  # 404, market navigation
INVALID_MAX = "error.invalid.max"  # 400, /prices max outside 1..1000
INVALID_EPICS = "error.invalid.epics"  # 400, more than 50 epics
INVALID_AMOUNT = "error.invalid.amount"  # 400, demo top-up
TOPUP_LIVE = "error.topup.live-account"  # 400, top-up outside demo
STOP_NOT_ALLOWED = "error.invalid.stoploss.not-allowed"  # 400, real stocks
PROFIT_NOT_ALLOWED = "error.invalid.takeprofit.not-allowed"  # 400, real stocks
GUARANTEED_STOP_NEEDS_STOP = "error.invalid.guaranteedstop.stop-required"  # 400
GUARANTEED_STOP_HEDGING = "error.invalid.guaranteedstop.hedging-mode"  # 400
TRAILING_STOP_DISABLED = "error.invalid.trailingstop.disabled"  # 400 (trailingStopsEnabled=false)
SIZE_MIN = "error.invalid.size.minvalue"  # 400, ": <min deal size>" appended
SIZE_MAX = "error.invalid.size.maxvalue"  # 400, ": <max deal size>" appended


def null(field: str) -> CapitalError:
    return CapitalError(400, f"error.null.{field}")


def invalid(field: str) -> CapitalError:
    return CapitalError(400, f"error.invalid.{field}")
