from datetime import UTC
from decimal import Decimal

import pytest

from desktop_app.domain import ProtocolError, RateLimited, Rejected, to_decimal
from desktop_app.domain.money import format_money, parse_utc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, Decimal("0.1")),
        ("1.05", Decimal("1.05")),
        (3, Decimal(3)),
        (17.146, Decimal("17.146")),
    ],
)
def test_to_decimal_is_exact(raw: object, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", [None, True, "abc", [1]])
def test_to_decimal_rejects_non_numbers(raw: object) -> None:
    with pytest.raises(ProtocolError):
        to_decimal(raw, field="balance")


def test_naive_broker_times_are_taken_as_utc() -> None:
    assert parse_utc("2022-04-06T10:49:52.056").tzinfo is UTC
    assert parse_utc("2022-04-06T10:49:52Z").tzinfo is not None


def test_format_money() -> None:
    assert format_money(Decimal("12345.678"), "USD") == "12,345.68 USD"


def test_error_text_names_broker_and_hint() -> None:
    err = Rejected("Stop loss too close: minimum is 17.1", code="x", broker="Capital.com")
    assert err.user_text().startswith("Capital.com: Stop loss too close")
    assert RateLimited("slow", retry_after=2.0).retry_after == 2.0
