"""Accessible names and descriptions: what a screen reader says for each input and table.

``DESCRIBED`` holds the words for the app's own widgets, by object name. Widgets built
from a broker's rules (a funding form's fields, a connection's credential fields) get
theirs from the label beside them. ``describe_widgets(root)`` applies both to a window or
dialog; a test walks every window and dialog and fails on an interactive widget a screen
reader could not name (``missing``).
"""

from __future__ import annotations

import itertools

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import FormField

DESCRIBED: dict[str, tuple[str, str]] = {
    # accounts
    "accounts.table": ("Accounts", "Every account of every connection with its balance, "
                       "equity, available funds and P/L; the selected one is the one the "
                       "ticket, positions, funding and chart act on."),
    # positions, working orders, history
    "positions.table": ("Open positions", "Open positions of the selected account with live "
                        "P/L. Ctrl+Shift+X closes the selected one."),
    "workingOrders.table": ("Working orders", "Working orders of the selected account. "
                            "Ctrl+Shift+Delete cancels the selected one."),
    "history.table": ("History", "Executed orders, closed trades and cancelled orders of the "
                      "selected account, as the broker lists them."),
    # order ticket
    "orderTicket.search": ("Instrument search", "Type a name or symbol; Down moves into the "
                           "results, Enter on a result takes it into the ticket."),
    "orderTicket.results": ("Search results", "Instruments found; Enter takes the highlighted "
                            "one into the ticket."),
    "orderTicket.navigation": ("Browse markets", "The broker's market tree; activate an "
                               "instrument to take it into the ticket."),
    "orderTicket.watchlists": ("Watchlists", "The broker's watchlists; activate an instrument "
                               "to take it into the ticket."),
    "orderTicket.quantity": ("Size", "How much to trade, in the unit shown beside the field, "
                             "within the minimum, step and maximum shown below it. Enter "
                             "checks the order and asks Buy or Sell."),
    "orderTicket.sizeUnit": ("Size unit", "What the size counts, where the instrument takes "
                             "several: an amount of the account's currency or a quantity of "
                             "shares; changing it starts the size again."),
    "orderTicket.acknowledgement": ("Buyer's acknowledgement", "The broker asks for it before "
                                    "a buy (the text beside it says what); Buy waits until "
                                    "it is ticked."),
    "orderTicket.orderType": ("Order type", "Market, limit, stop or stop-limit, as the broker "
                              "offers."),
    "orderTicket.level": ("Level", "The price of a limit or stop order."),
    "orderTicket.stopPrice": ("Stop price", "The trigger price of a stop-limit order."),
    "orderTicket.stopLoss": ("Stop loss", "Optional: the level at which the position is "
                             "closed to limit a loss."),
    "orderTicket.takeProfit": ("Take profit", "Optional: the level at which the position is "
                               "closed to take the profit."),
    "orderTicket.sellButton": ("Sell", "Sends the order as a sell (Ctrl+Shift+S); a LIVE "
                               "account asks first."),
    "orderTicket.buyButton": ("Buy", "Sends the order as a buy (Ctrl+Shift+B); a LIVE account "
                              "asks first."),
    # funding
    "funding.kind": ("Funding kind", "Demo top-up, deposit, withdrawal or transfer, as the "
                     "broker offers for this account."),
    "funding.amount": ("Amount", "The amount to move, within the broker's limits shown above. "
                       "Enter sends (a LIVE account asks first)."),
    "funding.comment": ("Comment", "Optional note the broker keeps with the request."),
    "funding.destination": ("To account", "The account a transfer goes to."),
    "funding.journal": ("Funding journal", "Every funding request made from the app with its "
                        "outcome."),
    # products and activity
    "products.search": ("Product search", "Type and press Enter to search the broker's "
                        "products."),
    "products.screen": ("Product screen", "The broker's ready-made lists of products."),
    "products.table": ("Products", "Products found; select one to see its facts and price "
                       "history."),
    "activity.filter": ("Activity filter", "Shows only the log lines holding this text."),
    "activity.table": ("Activity log", "Requests to the brokers (secrets hidden), orders, "
                       "funding, alerts and errors, newest at the bottom."),
    # connections
    "profiles.list": ("Connections", "Saved connections; select one to edit it."),
    "profiles.broker": ("Broker", "The broker of a new connection."),
    "profiles.name": ("Connection name", "The name shown for this connection."),
    "profiles.environment": ("Environment", "Demo, live or replay, as the broker offers."),
    "profiles.baseUrl": ("Server URL", "Advanced: another server for this connection (a "
                         "standalone simulator, the broker's other environment); empty uses "
                         "the broker's own host."),
    "profiles.liveOptIn": ("Allow live trading", "Required before orders can be sent on a "
                           "live connection."),
    # dialogs
    "modifyOrder.level": ("New level", "The working order's new level; empty keeps it."),
    "modifyOrder.size": ("New size", "The working order's new size; empty keeps it."),
    "modifyOrder.stopPrice": ("New stop price", "The stop-limit order's new trigger price; "
                              "empty keeps it."),
    "owner.name": ("Holder's name", "The name the broker keeps for the account holder."),
    "preferences.hedgingMode": ("Hedging mode", "Whether opposite positions are kept side by "
                                "side instead of netted."),
    "shortcuts.table": ("Keyboard shortcuts", "Every key of the app, what it does and where."),
    "about.licences": ("Licences", "The licences of the libraries the app uses."),
    # buttons: named by their text, described here
    "accounts.switchButton": ("", "Makes the selected account the session's active one."),
    "accounts.preferencesButton": ("", "Hedging mode and leverage of the selected account."),
    "positions.closeButton": ("", "Closes the selected position at the market "
                              "(Ctrl+Shift+X); a LIVE account asks first."),
    "positions.closeAllButton": ("", "Closes every open position of this account; asks "
                                 "first."),
    "workingOrders.cancelButton": ("", "Cancels the selected working order "
                                   "(Ctrl+Shift+Delete); a LIVE account asks first."),
    "workingOrders.modifyButton": ("", "Changes the selected working order's level or size."),
    "history.refreshButton": ("", "Reads the account's history from the broker again."),
    "funding.submitButton": ("", "Sends the funding request; a LIVE account asks first."),
    "products.tradeButton": ("", "Takes the selected product into the order ticket."),
    "profiles.addButton": ("", "Starts a new connection."),
    "profiles.removeButton": ("", "Removes the selected connection and its stored secrets; "
                              "asks first."),
    "profiles.saveButton": ("", "Saves the connection (secrets to the keyring) and connects."),
    "profiles.closeButton": ("", "Closes this dialog."),
    "profiles.ownerButton": ("", "Changes the name the broker keeps for the holder."),
    "about.copy": ("", "Copies the version, paths and licences as text."),
    "shortcuts.closeButton": ("", "Closes the list of keyboard shortcuts."),
    "modifyOrder.okButton": ("", "Sends the change; a LIVE account asks first."),
    "owner.saveButton": ("", "Sends the new holder's name to the broker."),
    "preferences.saveButton": ("", "Sends the hedging mode and leverage to the broker."),
    "orderTicket.sideDialog.buy": ("", "Sends the order as a buy (a LIVE account asks "
                                   "first)."),
    "orderTicket.sideDialog.sell": ("", "Sends the order as a sell (a LIVE account asks "
                                    "first)."),
    "orderTicket.sideDialog.neither": ("", "Sends nothing (also Enter and Esc)."),
}

# Widgets made per row of a broker's answer, by the start of their object name: the
# description (the name is the label beside them).
DESCRIBED_ROWS: dict[str, str] = {
    "preferences.leverage.": "The leverage for this asset class, from the broker's choices.",
}

_INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QTextEdit, QPlainTextEdit,
           QAbstractItemView)
# Qt's own parts of composite widgets (a spin box's line edit, a tab bar's scroll buttons,
# a table's corner button, a dock's title buttons): named by Qt, not by the app.
_QT_PARTS = ("QTableCornerButton", "QLineEditIconButton", "QDockWidgetTitleButton",
             "QToolBarExtension", "QCalendarWidget")


def is_qt_part(widget: QWidget) -> bool:
    if (widget.objectName().startswith(("qt_", "_q_"))
            or widget.metaObject().className() in _QT_PARTS
            or isinstance(widget, QHeaderView)):
        return True
    parent = widget.parentWidget()  # inside a composite (a combo box's popup list...)
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QTabBar)):
            return True
        parent = parent.parentWidget()
    return False


def is_interactive(widget: QWidget) -> bool:
    return isinstance(widget, (*_INPUTS, QAbstractButton)) and not is_qt_part(widget)


def form_label(widget: QWidget) -> str:
    """The text of the form label beside ``widget`` (or beside the box it sits in)."""
    child: QWidget | None = widget
    for _ in range(3):
        if child is None:
            return ""
        parent = child.parentWidget()
        layouts = [parent.layout()] if parent is not None and parent.layout() else []
        if parent is not None:
            layouts += parent.findChildren(QFormLayout)
        for layout in layouts:
            if isinstance(layout, QFormLayout):
                label = layout.labelForField(child)
                if isinstance(label, QLabel) and label.text().strip():
                    return label.text().replace("&", "").rstrip(" *:").strip()
        child = parent
    return ""


def _answer(widget: QWidget) -> str:
    """A dialog's own button (OK, Close, Yes, No): what it answers."""
    box = widget.parentWidget()
    if not isinstance(widget, QAbstractButton) or not isinstance(
        box, (QDialogButtonBox, QMessageBox)
    ):
        return ""
    title = widget.window().windowTitle()
    return f"{widget.text().replace('&', '')}: the answer to “{title}”." if title else ""


def describe(widget: QWidget) -> None:
    """Give ``widget`` a name and description where it has none: the table's, else its
    label's, else its own words. Buttons keep being named by their text (it changes:
    "Buy 1.0851"); they get a description."""
    if not is_interactive(widget):
        return
    known = DESCRIBED.get(widget.objectName())
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    if known is not None:
        name, description = known
        name = name or text.replace("&", "")
    else:
        placeholder = widget.placeholderText() if isinstance(widget, QLineEdit) else ""
        # The words a sighted trader reads beside or on it; no words: no name (the test
        # then fails and the widget gets its entry above).
        name = form_label(widget) or text.replace("&", "") or placeholder
        row = next((d for prefix, d in DESCRIBED_ROWS.items()
                    if widget.objectName().startswith(prefix)), "")
        description = row or widget.toolTip() or placeholder or _answer(widget)
    if not widget.accessibleName() and name and not isinstance(widget, QAbstractButton):
        widget.setAccessibleName(name)
    if not widget.accessibleDescription() and description:
        widget.setAccessibleDescription(description)


def _walk(root: QWidget) -> list[QWidget]:
    """``root`` and what is under it, without Qt's own file dialogs (Qt names their
    parts; the app adds none)."""
    skip = [d for d in root.findChildren(QFileDialog)]
    return [w for w in (root, *root.findChildren(QWidget))
            if not any(d is w or d.isAncestorOf(w) for d in skip)]


def describe_widgets(root: QWidget) -> None:
    for widget in _walk(root):
        describe(widget)


def missing(root: QWidget) -> list[str]:
    """Interactive widgets under ``root`` a screen reader cannot name or describe.

    Inputs and tables need their own accessible name and description (a combo box would
    otherwise be read by its current text, a field by nothing); buttons and check boxes
    are named by their text and described by their description or tooltip."""
    out = []
    for widget in _walk(root):
        if not is_interactive(widget):
            continue
        if isinstance(widget, QAbstractButton):
            iface = QAccessible.queryAccessibleInterface(widget)
            name = iface.text(QAccessible.Text.Name) if iface is not None else ""
            description = iface.text(QAccessible.Text.Description) if iface else ""
        else:
            name, description = widget.accessibleName(), widget.accessibleDescription()
        if not name.strip() or not description.strip():
            kind = widget.metaObject().className()
            out.append(f"{kind} {widget.objectName() or '(no name)'}: "
                       f"name={name!r} description={description!r}")
    return out


def set_tab_order(*widgets: QWidget) -> None:
    """Tab moves through ``widgets`` in this order (the order they are seen in)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def credential_description(field: CredentialField) -> str:
    """What a screen reader says about a broker's login field (from the broker's spec)."""
    parts = [field.placeholder] if field.placeholder else []
    if field.flag:
        parts.append("A yes or no option of this connection.")
    else:
        parts.append("Optional." if field.optional else "Required.")
    if field.secret or field.private_key:
        parts.append("Kept in the system keyring, never in the settings file.")
    return " ".join(parts)


def form_field_description(field: FormField) -> str:
    """The same for a broker's funding or account form field."""
    parts = [field.placeholder] if field.placeholder else []
    parts.append("Optional." if field.optional else "Required.")
    if field.choices:
        parts.append("One of the broker's choices.")
    if field.max_len:
        parts.append(f"Up to {field.max_len} characters.")
    if field.private:
        parts.append("Private: masked on screen, never journalled or logged.")
    return " ".join(parts)
