"""Small widget helpers shared by the panels."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QWidget,
)

from desktop_app.ui import table_tools
from desktop_app.ui.accessibility import describe_widgets
from desktop_app.ui.cell_painter import PlainTextTableView
from desktop_app.viewmodels.confirmation import Confirmation

ERROR_STYLE = "color: #d64545;"
OK_STYLE = "color: #2e9e4f;"


def named(widget: QWidget, name: str) -> QWidget:
    widget.setObjectName(name)
    return widget


def error_label(name: str, parent: QWidget | None = None) -> QLabel:
    """The message shown next to a field; hidden while there is none."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def keep_room(label: QLabel, lines: int = 2) -> None:
    """``label`` keeps ``lines`` lines of room, shown or hidden: a message that comes and
    goes then never moves the controls below it under the pointer."""
    keep = label.sizePolicy()
    keep.setRetainSizeWhenHidden(True)
    label.setSizePolicy(keep)
    label.setMinimumHeight(lines * label.fontMetrics().lineSpacing())


def show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def set_result(label: QLabel, text: str, ok: bool) -> None:
    label.setText(text)
    style = OK_STYLE if ok else ERROR_STYLE
    if label.styleSheet() != style:  # a new sheet re-polishes and lays the form out again
        label.setStyleSheet(style)
    label.setVisible(bool(text))


class KeyTableView(PlainTextTableView):
    """A table whose selection never moves by itself.

    Qt keeps "one selected row" in single-selection mode: when the selected row goes
    away (a position closed), it selects the next one. A second press of Close would
    then close a position nobody chose; here the selection just ends with its row.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows_going = False
        # Set by the window: "Export to CSV…" in the context menu (ui.table_tools).
        self.export_handler: Callable[[QTableView], None] | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Whole rows with their headers, tab-separated (Qt's own copies nothing).
        if event.matches(QKeySequence.StandardKey.Copy):
            table_tools.copy_rows(self)
            event.accept()
            return
        super().keyPressEvent(event)

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        self._rows_going = True
        try:
            super().rowsAboutToBeRemoved(parent, start, end)
        finally:
            self._rows_going = False

    def selectionCommand(
        self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        if self._rows_going:
            return QItemSelectionModel.SelectionFlag.NoUpdate
        return super().selectionCommand(index, event)


def table_view(name: str, model: QAbstractItemModel, parent: QWidget | None = None,
               *, sortable: bool = True, many: bool = False) -> QTableView:
    """A table of the app: whole rows selected (``many``: several, for a table nothing
    acts on), copy and export, columns to hide, its state kept (ui.table_tools)."""
    view = KeyTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if many
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setSortingEnabled(sortable)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    # The header and a row: tables scroll, so a short screen costs rows, not overlap.
    view.setMinimumHeight(48)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
    table_tools.attach(view)
    return view


class ElidedLabel(QLabel):
    """One line that never asks for more room than ``max_width``: what does not fit is
    elided, the whole text stays in ``text()`` and belongs in the tooltip. A long text
    (four connections, an error) can then never widen the window."""

    def __init__(self, parent: QWidget | None = None, *, max_width: int = 420) -> None:
        super().__init__(parent)
        self.max_width = max_width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self.text()) + 8
        return QSize(min(width, self.max_width), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(min(48, self.sizeHint().width()), super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                              rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         shown)


def scrolling(widget: QWidget, name: str) -> QScrollArea:
    """``widget`` in a frameless scroll area: a dock keeps a small minimum size (so the
    window never grows as a form fills) and scrolls only when the screen is short."""
    area = QScrollArea()
    area.setObjectName(name)
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def ask(parent: QWidget, question: Confirmation, name: str,
        answer: Callable[[bool], None]) -> QMessageBox:
    """A view-model's question, non-modally (``open()``, never ``exec()``). ``answer``
    gets True for yes, False for no, Esc or closing the box; exactly once."""
    icon = QMessageBox.Icon.Warning if question.live or question.reasons else (
        QMessageBox.Icon.Question)
    box = QMessageBox(icon, question.title, question.text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setObjectName(name)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    yes = box.button(QMessageBox.StandardButton.Yes)
    no = box.button(QMessageBox.StandardButton.No)
    yes.setText(question.yes_text)
    no.setText(question.no_text)
    yes.setObjectName(f"{name}.yes")
    no.setObjectName(f"{name}.no")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    answered: list[bool] = []

    def reply(accepted: bool) -> None:
        if not answered:
            answered.append(accepted)
            answer(accepted)

    box.buttonClicked.connect(lambda button: reply(button is yes))
    box.finished.connect(lambda _result: reply(False))
    # Answered boxes go (WA_DeleteOnClose alone does not survive QMessageBox's done());
    # until Qt deletes it, it has no name, so nothing finds the answered one.
    box.finished.connect(lambda _result: box.setObjectName(""))
    box.finished.connect(box.deleteLater)
    describe_widgets(box)
    box.open()
    return box
