"""A question a view-model asks before a write (LIVE money, an unusual order, a repeat).

The view-model holds the write until it is answered: a widget shows the question
non-modally (``open()``, never ``exec()``) and passes the answer back; no widget or
hotkey can send without it, because the write waits in the view-model, not the widget.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Confirmation:
    title: str
    # What would be done, on which account, for how much.
    summary: str
    # Why the trader is asked (LIVE money, far from the market, sent moments ago...).
    reasons: tuple[str, ...] = ()
    live: bool = False
    yes_text: str = "Send"
    no_text: str = "Don't send"

    @property
    def text(self) -> str:
        lines = [self.summary]
        if self.reasons:
            lines.append("")
            lines.extend(f"• {reason}" for reason in self.reasons)
        return "\n".join(lines)


LIVE_REASON = "This is a LIVE account: it moves real money."
