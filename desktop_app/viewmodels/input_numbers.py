"""Numbers a person types, read with the separators of the system locale (``QLocale()``).

The rules are ``desktop_app.domain.numbers``' (pure, shared with the layers below); this
module only supplies the locale, so ``150,5`` is 150.5 in Germany and refused in the US.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QLocale

from desktop_app.domain.numbers import input_text, parse_number


def separators() -> tuple[str, str]:
    """(decimal point, group separator) of the locale in effect (``QLocale.setDefault``)."""
    locale = QLocale()
    return locale.decimalPoint(), locale.groupSeparator()


def parse(text: str) -> Decimal | None:
    """``parse_number`` in this locale: None when blank, ValueError when not one number."""
    point, group = separators()
    return parse_number(text, decimal_point=point, group_separator=group)


def field_text(value: Decimal | None) -> str:
    """``value`` as the trader would type it here (to prefill a field); '' for None."""
    if value is None:
        return ""
    return input_text(value, decimal_point=separators()[0])
