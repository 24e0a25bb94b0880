"""Numbers typed by a person, read strictly in their locale's convention.

A number is read only when it can mean one thing: the locale's decimal separator, its
group separator only where it groups thousands correctly (``1,234,567.5``), ASCII digits,
an optional leading sign. Everything else is refused with a message that says what the
text would have been read as, so that nothing is ever silently scaled: ``150,5`` in an
English locale is not 1505, ``1e3`` is not 1000, ``١٠٠`` is not 100.

Pure Python: the view-models pass the separators of ``QLocale()``; the session and the
services may call the same function with the separators they know.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NoReturn

# Long enough for any price or size a person types (with grouping), short enough that
# nothing beyond Decimal's 28 digits of precision gets near the arithmetic.
MAX_LENGTH = 30
_DIGITS = frozenset("0123456789")
# Characters a person may type as a separator; when they are not this locale's, the
# text is read in the other convention only to say what was probably meant.
_SEPARATORS = frozenset(".,'’ \u00a0\u202f\u2009")
_SPACES = frozenset(" \u00a0\u202f\u2009")


def _quoted(text: str) -> str:
    return "a space" if text in _SPACES else f"“{text}”"


def _plain(value: Decimal, decimal_point: str) -> str:
    """``value`` without exponent or grouping, with the locale's decimal separator."""
    text = f"{value:f}"
    return text.replace(".", decimal_point) if decimal_point != "." else text


def input_text(value: Decimal, *, decimal_point: str = ".") -> str:
    """A Decimal as a person would type it in this locale (to prefill a field): no
    exponent, no grouping, no trailing zeros after the decimal separator."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", decimal_point) if decimal_point != "." else text


def _loose(text: str, decimal_point: str, group_separator: str) -> Decimal | None:
    """What a lenient reader (Python's Decimal after dropping group separators, taking
    any Unicode digit) would make of ``text``: only used to show it in a message."""
    converted = []
    for char in text:
        if char == group_separator or (group_separator in _SPACES and char in _SPACES):
            continue
        if char == decimal_point:
            converted.append(".")
            continue
        digit = unicodedata.decimal(char, None)
        converted.append(str(digit) if digit is not None else char)
    try:
        value = Decimal("".join(converted))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _other_convention(decimal_point: str) -> tuple[str, str]:
    """The separators of the convention a person from elsewhere would use."""
    return (",", ".") if decimal_point == "." else (".", ",")


def _probably_meant(body: str, sign: str, decimal_point: str, group_separator: str) -> str:
    """The text read in the other common convention, written in this one ('' if none)."""
    other_point, other_group = _other_convention(decimal_point)
    try:
        value = _strict(body, other_point, other_group)
    except ValueError:
        return ""
    if value is None:
        return ""
    return sign + _plain(value, decimal_point)


def _strict(body: str, decimal_point: str, group_separator: str) -> Decimal | None:
    """``body`` (no sign, no surrounding blanks) in exactly this convention, or raise
    ValueError (the message is not shown: ``parse_number`` writes its own)."""
    if any(c not in _DIGITS and c not in (decimal_point, group_separator) for c in body):
        raise ValueError("unexpected character")
    parts = body.split(decimal_point)
    if len(parts) > 2:
        raise ValueError("more than one decimal separator")
    whole = parts[0]
    fraction = parts[1] if len(parts) == 2 else ""
    if group_separator in fraction:
        raise ValueError("group separator after the decimal separator")
    if group_separator in whole:
        groups = whole.split(group_separator)
        if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            raise ValueError("bad grouping")
        whole = "".join(groups)
    if not whole and not fraction:
        raise ValueError("no digits")
    # Exactly what was typed: "1" stays 1 (a contract count), "1.50" keeps its places.
    return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole or "0")


def parse_number(
    text: str,
    *,
    decimal_point: str = ".",
    group_separator: str = ",",
    max_length: int = MAX_LENGTH,
) -> Decimal | None:
    """The Decimal ``text`` means in this convention; None when it is blank.

    Raises ValueError with a message for the trader (what was typed, what it would have
    been read as, what to type instead) when the text is not one unambiguous number.
    """
    stripped = text.strip()
    if not stripped:
        return None
    shown = _quoted(stripped if len(stripped) <= 40 else stripped[:37] + "…")
    if len(stripped) > max_length:
        raise ValueError(f"{shown} is too long for a number (at most {max_length} characters).")
    sign = ""
    body = stripped
    if body[0] in "+-":
        sign, body = ("-" if body[0] == "-" else ""), body[1:]
    if group_separator in _SPACES or group_separator.isspace():
        # A plain space stands for the locale's (narrow) no-break space: people type it.
        body = "".join(group_separator if c in _SPACES else c for c in body)
    loose = _loose(stripped, decimal_point, group_separator)
    read_as = f" (it would read as {_plain(loose, decimal_point)})" if loose is not None else ""

    foreign_digits = [c for c in body if c not in _DIGITS and unicodedata.decimal(c, None)
                      is not None]
    if foreign_digits:
        raise ValueError(f"{shown} uses digits other than 0–9{read_as}: type it with 0–9.")
    if any(c in "eE" for c in body) and any(c in _DIGITS for c in body):
        raise ValueError(
            f"{shown} has an exponent{read_as}: write the number out in full."
        )
    if "_" in body:
        raise ValueError(f"{shown}: “_” is not a separator here{read_as}.")
    odd = next((c for c in body if c not in _DIGITS and c not in _SEPARATORS
                and c not in (decimal_point, group_separator)), None)
    if odd is not None:
        _refuse_odd(shown, odd)
    try:
        value = _strict(body, decimal_point, group_separator)
    except ValueError:
        pass
    else:
        assert value is not None
        return -value if sign == "-" else value
    _refuse_ambiguous(shown, body, sign, decimal_point, group_separator, loose)


def _refuse_odd(shown: str, odd: str) -> NoReturn:
    raise ValueError(f"{shown} is not a number (“{odd}” is not expected in one).")


def _refuse_ambiguous(
    shown: str, body: str, sign: str, decimal_point: str, group_separator: str,
    loose: Decimal | None,
) -> NoReturn:
    point, group = _quoted(decimal_point), _quoted(group_separator)
    rule = f"here {point} is the decimal separator and {group} only groups thousands"
    meant = _probably_meant(body, sign, decimal_point, group_separator)
    hint = f" Did you mean {meant}?" if meant else ""
    if not any(c in _DIGITS for c in body):
        raise ValueError(f"{shown} is not a number.")
    foreign = sorted({c for c in body if c in _SEPARATORS
                      and c not in (decimal_point, group_separator)})
    if foreign:
        what = " and ".join(_quoted(c) for c in foreign)
        raise ValueError(f"{shown} is not a number here: {what} is not a separator ({rule}).{hint}")
    read = f", so it would read as {_plain(loose, decimal_point)}" if loose is not None else ""
    raise ValueError(f"{shown} is ambiguous: {rule} (1{group_separator}000{decimal_point}5)"
                     f"{read}.{hint}")
