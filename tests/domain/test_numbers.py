"""Strict, locale-aware reading of typed numbers: nothing ambiguous is ever read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain.numbers import MAX_LENGTH, input_text, parse_number

EN = {"decimal_point": ".", "group_separator": ","}
DE = {"decimal_point": ",", "group_separator": "."}
FR = {"decimal_point": ",", "group_separator": "\u202f"}
CH = {"decimal_point": ".", "group_separator": "’"}


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("150.5", EN, Decimal("150.5")),
    ("1,000.5", EN, Decimal("1000.5")),
    ("1,234,567", EN, Decimal("1234567")),
    (" -2.5 ", EN, Decimal("-2.5")),
    ("+3", EN, Decimal("3")),
    (".5", EN, Decimal("0.5")),
    ("5.", EN, Decimal("5")),
    ("150,5", DE, Decimal("150.5")),
    ("1.000,5", DE, Decimal("1000.5")),
    ("1.000.000", DE, Decimal("1000000")),
    ("0,01", DE, Decimal("0.01")),
    ("1 000,5", FR, Decimal("1000.5")),  # a plain space for the narrow no-break space
    ("1\u202f000,5", FR, Decimal("1000.5")),
    ("1’000.25", CH, Decimal("1000.25")),
])
def test_reads_the_locales_own_convention(text, locale, expected):
    assert parse_number(text, **locale) == expected


def test_keeps_exactly_what_was_typed():
    # A contract count stays an integer; places typed are kept (the broker sees "1").
    assert str(parse_number("1", **EN)) == "1"
    assert str(parse_number("1.50", **EN)) == "1.50"


def test_blank_is_none():
    assert parse_number("", **EN) is None
    assert parse_number("   ", **DE) is None


@pytest.mark.parametrize(("text", "locale", "shows"), [
    # A decimal comma in an English locale is not a thousands separator: never 1505.
    ("150,5", EN, ["“150,5”", "would read as 1505", "Did you mean 150.5?"]),
    ("0,5", EN, ["would read as 5", "Did you mean 0.5?"]),
    ("1,00,000", EN, ["ambiguous"]),
    # An English number in a German locale: "," is its decimal separator.
    ("1,000.5", DE, ["would read as 1,0005", "Did you mean 1000,5?"]),
    ("1.5", DE, ["would read as 15", "Did you mean 1,5?"]),
    ("1.000,5", EN, ["would read as 1.0005", "Did you mean 1000.5?"]),
    ("1e3", EN, ["exponent", "would read as 1000"]),
    ("1E3", DE, ["exponent", "would read as 1000"]),
    ("١٠٠", EN, ["digits other than 0–9", "would read as 100"]),
    ("１００", DE, ["digits other than 0–9", "would read as 100"]),
    ("1_0", EN, ["“_”", "would read as 10"]),
    ("12abc", EN, ["not a number"]),
    ("nan", EN, ["not a number"]),
    ("Infinity", EN, ["not a number"]),
    ("-", EN, ["not a number"]),
    ("1 000", EN, ["a space is not a separator"]),
    ("1.5", FR, ["“.” is not a separator", "Did you mean 1,5?"]),
])
def test_refuses_anything_ambiguous_and_says_what_it_would_have_read(text, locale, shows):
    with pytest.raises(ValueError) as caught:
        parse_number(text, **locale)
    for part in shows:
        assert part in str(caught.value)


def test_too_long_is_refused_before_anything_else():
    assert parse_number("1" * MAX_LENGTH, **EN) == Decimal("1" * MAX_LENGTH)
    with pytest.raises(ValueError, match="too long"):
        parse_number("1" * (MAX_LENGTH + 1), **EN)
    with pytest.raises(ValueError, match="at most 5"):
        parse_number("123456", **EN, max_length=5)


def test_input_text_writes_what_the_parser_reads_back():
    for value in (Decimal("0.01"), Decimal("1000"), Decimal("5150.25"), Decimal("1.08500")):
        for locale in (EN, DE, FR):
            text = input_text(value, decimal_point=locale["decimal_point"])
            assert parse_number(text, **locale) == value
    assert input_text(Decimal("0.0100"), decimal_point=",") == "0,01"
    assert input_text(Decimal("1E+3")) == "1000"
