"""The order ticket: instrument search / browse / watchlists, live bid and offer, the order
form with validation next to each field, Buy and Sell, and the broker's answer."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import Instrument, OrderType, Quote, Side
from desktop_app.ui.accessibility import set_tab_order
from desktop_app.ui.common import (
    ElidedLabel,
    ask,
    error_label,
    keep_room,
    set_result,
    show_error,
)
from desktop_app.ui.ticket_sizing import TicketSizingRow
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.instrument_models import INSTRUMENT_ROLE, instrument_label
from desktop_app.viewmodels.order_ticket_vm import (
    F_LEVEL,
    F_PROFIT,
    F_SIZE,
    F_STOP,
    F_STOP_PRICE,
    TICKET_ORDER_TYPES,
    OrderTicketViewModel,
)

UP_STYLE = "color: #2e9e4f;"
DOWN_STYLE = "color: #d64545;"


class OrderTicketPanel(QWidget):
    def __init__(self, vm: OrderTicketViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket.panel")
        self.vm = vm
        self.confirm_box: QMessageBox | None = None

        # Which account this ticket sends to, always in view.
        self.environment = QLabel("DEMO", self)
        self.environment.setObjectName("orderTicket.environment")
        self.environment.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.environment.setMinimumWidth(56)
        self.account = ElidedLabel(self, max_width=900)
        self.account.setObjectName("orderTicket.account")
        header = QHBoxLayout()
        header.addWidget(self.environment)
        header.addWidget(self.account, 1)
        # Shown for a broker that does not trade through its API: where to trade.
        self.trading_note = QLabel(self)
        self.trading_note.setObjectName("orderTicket.tradingNote")
        self.trading_note.setWordWrap(True)
        self.trading_note.hide()

        # --- instrument sources
        self.search = QLineEdit(self)
        self.search.setObjectName("orderTicket.search")
        self.search.setPlaceholderText("Search instruments (e.g. EUR/USD, Gold, Apple)")
        self.search.setClearButtonEnabled(True)
        self.results = QListView(self)
        self.results.setObjectName("orderTicket.results")
        self.results.setModel(vm.results)
        self.search_status = QLabel(self)
        self.search_status.setObjectName("orderTicket.searchStatus")
        self.search_status.setWordWrap(True)
        self.navigation = QTreeView(self)
        self.navigation.setObjectName("orderTicket.navigation")
        self.navigation.setHeaderHidden(True)
        self.navigation.setModel(vm.navigation)
        self.watchlists = QTreeView(self)
        self.watchlists.setObjectName("orderTicket.watchlists")
        self.watchlists.setHeaderHidden(True)
        self.watchlists.setModel(vm.watchlists)
        search_page = QWidget(self)
        sp = QVBoxLayout(search_page)
        sp.setContentsMargins(0, 0, 0, 0)
        sp.addWidget(self.search)
        sp.addWidget(self.results)
        self.sources = QTabWidget(self)
        self.sources.setObjectName("orderTicket.sources")
        self.sources.addTab(search_page, "Search")
        self.sources.addTab(self.navigation, "Browse")
        self.sources.addTab(self.watchlists, "Watchlists")
        # The lists scroll: a short minimum keeps the ticket within a 720p screen, and
        # they take only the room the form leaves (no preferred height of their own, so
        # an error under a field shortens the list instead of pushing Buy out of view).
        for view in (self.results, self.navigation, self.watchlists):
            view.setMinimumHeight(44)
        self.sources.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.sources.setMinimumHeight(110)

        # --- instrument and prices
        self.instrument = QLabel("No instrument chosen", self)
        self.instrument.setObjectName("orderTicket.instrument")
        self.instrument.setWordWrap(True)
        self.market_status = QLabel(self)
        self.market_status.setObjectName("orderTicket.marketStatus")
        # It may carry why a side is held back: wrapped, never wider than the ticket.
        self.market_status.setWordWrap(True)
        self.bid = QLabel("—", self)
        self.bid.setObjectName("orderTicket.bid")
        self.offer = QLabel("—", self)
        self.offer.setObjectName("orderTicket.offer")
        prices = QGridLayout()
        prices.setVerticalSpacing(0)
        prices.addWidget(QLabel("Bid (sell)", self), 0, 0)
        prices.addWidget(QLabel("Offer (buy)", self), 0, 1)
        prices.addWidget(self.bid, 1, 0)
        prices.addWidget(self.offer, 1, 1)
        self.facts = QLabel(self)
        self.facts.setObjectName("orderTicket.facts")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.hide()

        # --- the form
        self.quantity = QLineEdit(self)
        self.quantity.setObjectName("orderTicket.quantity")
        self.quantity.setPlaceholderText("size")
        self.order_type = QComboBox(self)
        self.order_type.setObjectName("orderTicket.orderType")
        self._types = QStandardItemModel(self)
        for ot in TICKET_ORDER_TYPES:
            item = QStandardItem(ot.value.replace("_", "-").title())
            item.setData(ot, Qt.ItemDataRole.UserRole)
            self._types.appendRow(item)
        self.order_type.setModel(self._types)
        self.level = QLineEdit(self)
        self.level.setObjectName("orderTicket.level")
        self.level.setPlaceholderText("for limit and stop orders")
        self.stop_price = QLineEdit(self)
        self.stop_price.setObjectName("orderTicket.stopPrice")
        self.stop_price.setPlaceholderText("trigger of a stop-limit order")
        self.stop_loss = QLineEdit(self)
        self.stop_loss.setObjectName("orderTicket.stopLoss")
        self.stop_loss.setPlaceholderText("optional")
        self.take_profit = QLineEdit(self)
        self.take_profit.setObjectName("orderTicket.takeProfit")
        self.take_profit.setPlaceholderText("optional")
        self.errors = {
            F_SIZE: error_label("orderTicket.quantityError", self),
            F_LEVEL: error_label("orderTicket.levelError", self),
            F_STOP: error_label("orderTicket.stopLossError", self),
            F_PROFIT: error_label("orderTicket.takeProfitError", self),
            F_STOP_PRICE: error_label("orderTicket.stopPriceError", self),
        }
        self.size_rules = QLabel(self)
        self.size_rules.setObjectName("orderTicket.sizeRules")
        self.size_rules.setStyleSheet("color: #8a8a8a;")
        form = QFormLayout()
        form.setVerticalSpacing(4)
        self.size_label = QLabel("Size", self)
        self.size_label.setObjectName("orderTicket.sizeLabel")
        size_box = self._with_error(self.quantity, self.errors[F_SIZE])
        size_box.layout().addWidget(self.size_rules)
        form.addRow(self.size_label, size_box)
        self.sizing = TicketSizingRow(vm.sizing, self)
        form.addRow("", self.sizing)
        form.addRow("Type", self.order_type)
        form.addRow("Level", self._with_error(self.level, self.errors[F_LEVEL]))
        self.stop_price_label = QLabel("Stop price", self)
        form.addRow(
            self.stop_price_label, self._with_error(self.stop_price, self.errors[F_STOP_PRICE])
        )
        form.addRow("Stop loss", self._with_error(self.stop_loss, self.errors[F_STOP]))
        form.addRow("Take profit", self._with_error(self.take_profit, self.errors[F_PROFIT]))

        self.sell_button = QPushButton("Sell", self)
        self.sell_button.setObjectName("orderTicket.sellButton")
        self.buy_button = QPushButton("Buy", self)
        self.buy_button.setObjectName("orderTicket.buyButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.sell_button)
        buttons.addWidget(self.buy_button)
        self.result = QLabel(self)
        self.result.setObjectName("orderTicket.result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Its room is kept with or without a result: when one appeared, the buttons moved
        # up under the pointer, and a double click's second click landed on its text.
        keep_room(self.result)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.trading_note)
        layout.addWidget(self.sources, 1)
        layout.addWidget(self.search_status)
        layout.addWidget(self.instrument)
        layout.addWidget(self.market_status)
        layout.addLayout(prices)
        layout.addWidget(self.facts)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result)

        # --- bindings
        self.search.textChanged.connect(vm.set_search_text)
        self.search.returnPressed.connect(lambda: vm.search_now(self.search.text()))
        self.results.activated.connect(self._choose_from)
        self.results.clicked.connect(self._choose_from)
        self.navigation.activated.connect(self._choose_from)
        self.navigation.clicked.connect(self._choose_from)
        self.watchlists.activated.connect(self._choose_from)
        self.watchlists.clicked.connect(self._choose_from)
        self.quantity.textChanged.connect(vm.set_size_text)
        self.level.textChanged.connect(vm.set_level_text)
        self.stop_loss.textChanged.connect(vm.set_stop_text)
        self.take_profit.textChanged.connect(vm.set_profit_text)
        self.stop_price.textChanged.connect(vm.set_stop_price_text)
        self.order_type.currentIndexChanged.connect(self._type_chosen)
        self.buy_button.clicked.connect(lambda: vm.submit(Side.BUY))
        self.sell_button.clicked.connect(lambda: vm.submit(Side.SELL))
        vm.instrumentChanged.connect(self._show_instrument)
        vm.quoteChanged.connect(self._show_quote)
        vm.errorsChanged.connect(self._show_errors)
        vm.stateChanged.connect(self._update_state)
        vm.resultChanged.connect(lambda text, ok: set_result(self.result, text, ok))
        vm.confirmationRequested.connect(self._confirm)
        vm.duplicateSuspected.connect(self._confirm_duplicate)
        vm.confirmationWithdrawn.connect(self._drop_confirmation)
        vm.searchStatus.connect(self.search_status.setText)
        vm.inputsChanged.connect(self._show_inputs)
        vm.factsChanged.connect(self._show_facts)
        vm.sizing.changed.connect(lambda: self._show_instrument(vm.instrument))
        # Tab follows what is seen, top to bottom, Sell before Buy as they stand.
        set_tab_order(self.sources.tabBar(), self.search, self.results, self.quantity,
                      self.order_type, self.level, self.stop_price, self.stop_loss,
                      self.take_profit, self.sell_button, self.buy_button)
        self._show_instrument(vm.instrument)
        self._show_inputs()
        self._update_state()
        set_result(self.result, vm.result_text, vm.result_ok)

    def _show_inputs(self) -> None:
        """Values the view-model holds but the widgets do not show yet (set from code).

        Only a differing text is set: what the trader types comes back equal, so the
        cursor stays put and the round trip widget -> view-model -> widget stops here.
        """
        for field, text in (
            (self.search, self.vm.search_text), (self.quantity, self.vm.size_text),
            (self.level, self.vm.level_text), (self.stop_loss, self.vm.stop_text),
            (self.take_profit, self.vm.profit_text),
            (self.stop_price, self.vm.stop_price_text),
        ):
            if field.text() != text:
                field.setText(text)
        rows = [OrderType(self._types.item(r).data(Qt.ItemDataRole.UserRole))
                for r in range(self._types.rowCount())]
        row = rows.index(self.vm.order_type) if self.vm.order_type in rows else -1
        if row >= 0 and row != self.order_type.currentIndex():
            self.order_type.setCurrentIndex(row)

    def _with_error(self, field: QWidget, error: QLabel) -> QWidget:
        box = QWidget(self)
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(1)
        col.addWidget(field)
        col.addWidget(error)
        return box

    def _choose_from(self, index: QModelIndex) -> None:
        instrument = index.data(INSTRUMENT_ROLE)
        if isinstance(instrument, Instrument) and instrument != self.vm.instrument:
            self.vm.choose(instrument)

    def _type_chosen(self, row: int) -> None:
        value = self._types.item(row).data(Qt.ItemDataRole.UserRole) if row >= 0 else None
        if value is not None:
            self.vm.set_order_type(OrderType(value))

    def _show_instrument(self, instrument: Instrument | None) -> None:
        if instrument is None:
            self.instrument.setText("No instrument chosen")
            self.instrument.setToolTip("")
        else:
            self.instrument.setText(instrument_label(instrument))
            self.instrument.setToolTip(
                f"min size {instrument.min_size}" if instrument.min_size else ""
            )
        self.size_label.setText(self.vm.size_label)
        self.quantity.setPlaceholderText(self.vm.size_label.lower())
        self._show_quote(self.vm.quote, 0)

    def _show_facts(self) -> None:
        text = self.vm.facts_text
        self.facts.setText(text)
        self.facts.setToolTip(self.vm.facts_hint)
        self.facts.setVisible(bool(text))

    def _show_quote(self, quote: Quote | None, direction: int) -> None:
        self.bid.setText(self.vm.bid_text)
        self.offer.setText(self.vm.offer_text)
        style = UP_STYLE if direction > 0 else DOWN_STYLE if direction < 0 else ""
        self.bid.setStyleSheet(style)
        self.offer.setStyleSheet(style)
        self._show_buttons()

    def _show_buttons(self) -> None:
        self.sell_button.setText(self.vm.button_text(Side.SELL))
        self.buy_button.setText(self.vm.button_text(Side.BUY))

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self.errors.items():
            show_error(label, errors.get(key, ""))

    def _update_state(self) -> None:
        state = self.vm.state()
        live = "true" if state.live else "false"
        if self.environment.property("live") != live:
            # Re-styled only when it changes: a re-polish lays the ticket out again.
            self.environment.setText("LIVE — real money" if state.live else "DEMO")
            self.environment.setProperty("live", live)
            self.environment.style().unpolish(self.environment)
            self.environment.style().polish(self.environment)
        context = self.vm.context
        self.account.setText(context.text if context else "No account selected")
        self.account.setToolTip(context.tooltip if context else "")
        self.size_rules.setText(self.vm.size_rules_text)
        self._show_buttons()
        for row, (_ot, enabled, why) in enumerate(state.order_types):
            item = self._types.item(row)
            item.setEnabled(enabled)
            item.setToolTip(why)
        self.level.setEnabled(state.level_enabled)
        self.level.setToolTip("" if state.level_enabled else "Only limit and stop orders "
                              "have a level; market orders fill at the current price.")
        for field in (self.stop_loss, self.take_profit):
            field.setEnabled(state.stops_enabled)
            field.setToolTip(state.stops_why)
        self.stop_price.setVisible(state.stop_price_enabled)
        self.stop_price_label.setVisible(state.stop_price_enabled)
        self.errors[F_STOP_PRICE].setVisible(
            state.stop_price_enabled and bool(self.vm.errors.get(F_STOP_PRICE))
        )
        self.buy_button.setEnabled(state.buy_enabled)
        self.buy_button.setToolTip(state.buy_why)
        self.sell_button.setEnabled(state.sell_enabled)
        self.sell_button.setToolTip(state.sell_why)
        market = self.vm.market_text()
        blocked = {why for ok, why in ((state.buy_enabled, state.buy_why),
                                       (state.sell_enabled, state.sell_why)) if not ok and why}
        if market.startswith("Market "):  # the market line already says it is closed
            blocked = {why for why in blocked if not why.startswith("Market ")}
        if (state.can_send or state.market_status) and blocked:
            # "Market open. To buy, tick …": each its own sentence.
            market = " ".join(p if p.endswith((".", "…", ")")) else f"{p}."
                              for p in [market, *sorted(blocked)] if p)
        self.market_status.setText(market)
        self.search.setEnabled(self.vm.account is not None and state.trading)
        # Nothing on the ticket can be used on a broker that does not trade here.
        for widget in (self.sources, self.quantity, self.order_type):
            widget.setEnabled(state.trading)
            widget.setToolTip(state.trading_why)
        if not state.trading:  # (their own rules set these above otherwise)
            for widget in (self.level, self.stop_price, self.stop_loss, self.take_profit):
                widget.setEnabled(False)
                widget.setToolTip(state.trading_why)
        self.trading_note.setText(state.trading_why)
        self.trading_note.setVisible(not state.trading)

    def _confirm(self, question: Confirmation) -> None:
        """A LIVE or unusual order: the view-model holds it until answered."""
        self._ask(question, "orderTicket.confirmDialog", self.vm.confirm)

    def _confirm_duplicate(self, question: Confirmation) -> None:
        """The hub saw the same order moments ago: send a second one?"""
        self._ask(question, "orderTicket.duplicateDialog", self.vm.confirm_duplicate)

    def _ask(self, question: Confirmation, name: str, answer) -> None:
        self._drop_confirmation()
        self.confirm_box = ask(self, question, name, answer)
        self.confirm_box.finished.connect(lambda _r: setattr(self, "confirm_box", None))

    def _drop_confirmation(self) -> None:
        """The view-model dropped the order it asked about (account or instrument changed)."""
        box, self.confirm_box = self.confirm_box, None
        if box is not None:
            box.finished.disconnect()
            box.close()
