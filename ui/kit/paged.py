"""The one paged table model: rows read page by page (keyset paging) through the worker, so a
long list (the requests, the audit trail, the disclosure register) never freezes the window.

A screen subclasses it with its columns and two hooks that run in the worker with plain data:
`read_page(vault, query, after, limit)` calls the core and returns `(items, next_after)`
(`next_after` None at the end), and `row_texts(item)` makes the cells' text, so `data()` only
looks it up. Filters are the `query` given to `reload(**query)`: they go to the core as
conditions of its SQL, never applied by scanning pages here.

The first page is `page_size` rows and each further one twice the last, up to `max_page_size`
(scrolling to the end of 100,000 rows takes about 25 pages rather than 500; each page costs a
worker round trip, an insert and a repaint). Sorting by a column orders the rows loaded so far,
and pages arriving later take their places in that order (the model sorts itself: a
QSortFilterProxyModel on top placed each arriving row by a binary search of Python `lessThan`
calls and made every page slower than the last). Ties keep the order the rows arrived in.
"""

from __future__ import annotations

from typing import Any, Callable

from ui.kit.dialogs import error_text
from ui.qt import QtCore, Signal
from ui.worker import Op

_QT = QtCore.Qt
DISPLAY = _QT.ItemDataRole.DisplayRole
TOOLTIP = _QT.ItemDataRole.ToolTipRole
ID_ROLE = _QT.ItemDataRole.UserRole  # the row's record id
_ALIGN = _QT.ItemDataRole.TextAlignmentRole
_ASCENDING, _DESCENDING = _QT.SortOrder.AscendingOrder, _QT.SortOrder.DescendingOrder


class PagedTableModel(QtCore.QAbstractTableModel):
    columns: tuple[str, ...] = ()
    natural_sort: tuple[int, Any] | None = (0, _DESCENDING)  # the order pages arrive in, if a column's
    fallback = "The list could not be read. Try again."

    loading_changed = Signal(bool)
    failed = Signal(str)   # the error in words
    page_arrived = Signal()

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = 200,
                 max_page_size: int | None = None):
        super().__init__(parent)
        self.vault = vault
        self.page_size = page_size
        self.max_page_size = max(page_size, max_page_size or page_size)
        self.query: dict = {}
        self._items: list = []
        self._texts: list[tuple[str, ...]] = []
        self._arrival: list[int] = []
        self._next_after: Any = None
        self._next_size = page_size
        self._more = False
        self._op: Op | None = None
        self._sort: tuple[int, Any] | None = None

    # ---- hooks (read_page and row_texts run in the worker: plain data, no Qt) ---------------

    def read_page(self, vault, query: dict, after, limit: int) -> tuple[list, Any]:
        raise NotImplementedError

    def row_texts(self, item) -> tuple[str, ...]:
        raise NotImplementedError

    def item_id(self, item):
        return getattr(item, "id", None)

    def sort_key(self, column: int) -> Callable[[Any, tuple[str, ...]], Any]:
        """What a column sorts on, from the item and its cells' text (by default the text)."""
        return lambda _item, texts: texts[column]

    def tooltip(self, row: int, column: int) -> str:
        return self._texts[row][column]

    def alignment(self, column: int):
        return None

    # ---- loading ---------------------------------------------------------------------------

    def reload(self, **query) -> None:
        """Read again from the first page, with these conditions (for the core's query)."""
        self.query = dict(query)
        self._drop_op()
        self.beginResetModel()
        self._items, self._texts, self._arrival = [], [], []
        self._next_after, self._more, self._next_size = None, True, self.page_size
        self.endResetModel()
        self._fetch()

    def clear(self) -> None:
        self._drop_op()
        self.beginResetModel()
        self._items, self._texts, self._arrival, self._more = [], [], [], False
        self.endResetModel()

    def _drop_op(self) -> None:
        if self._op is not None:
            was_loading = self._op.running
            self._op.cancel()
            self._op = None
            if was_loading:
                self.loading_changed.emit(False)

    def _fetch(self) -> None:
        if self.is_loading() or not self._more:
            return
        vault, query, after, limit = self.vault, dict(self.query), self._next_after, self._next_size
        self._next_size = min(self._next_size * 2, self.max_page_size)
        read, texts = self.read_page, self.row_texts

        def work():
            items, next_after = read(vault, query, after, limit)
            return items, next_after, [texts(item) for item in items]

        op = Op(self, work, self.fallback).success(lambda got: self._arrived(*got)).failure(self._failed)
        self._op = op.run()
        if op.running:
            self.loading_changed.emit(True)

    def _arrived(self, items: list, next_after, texts: list) -> None:
        self._op = None
        self._next_after = next_after
        self._more = next_after is not None
        if items:
            first = len(self._items)
            self.beginInsertRows(QtCore.QModelIndex(), first, first + len(items) - 1)
            self._items.extend(items)
            self._texts.extend(texts)
            self._arrival.extend(range(first, first + len(items)))
            self.endInsertRows()
            if self._sort is not None and self._sort != self.natural_sort:
                self._apply_sort()
        self.loading_changed.emit(False)
        self.page_arrived.emit()

    def _failed(self, exc: BaseException) -> None:
        self._op = None
        self._more = False
        self.loading_changed.emit(False)
        self.failed.emit(error_text(exc, self.fallback))

    def is_loading(self) -> bool:
        return self._op is not None and self._op.running

    def canFetchMore(self, parent=QtCore.QModelIndex()) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and self._more and not self.is_loading() and bool(self._items)

    def fetchMore(self, parent=QtCore.QModelIndex()) -> None:  # noqa: N802 - Qt's name
        if not parent.isValid():
            self._fetch()

    # ---- sorting (the rows loaded so far) ----------------------------------------------------

    def sort(self, column: int, order=_ASCENDING) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, _QT.SortOrder(order))
        self._apply_sort()

    def _apply_sort(self) -> None:
        column, order = self._sort
        key = self.sort_key(column)
        items, texts, arrival = self._items, self._texts, self._arrival
        natural = sorted(range(len(items)), key=arrival.__getitem__)
        if (column, order) == self.natural_sort:
            ordered = natural
        else:  # stable: ties keep the order they arrived in, whichever way the column sorts
            ordered = sorted(natural, key=lambda i: key(items[i], texts[i]), reverse=order == _DESCENDING)
        if ordered == list(range(len(items))):
            return
        self.layoutAboutToBeChanged.emit()
        position = {old: new for new, old in enumerate(ordered)}
        old_indexes = self.persistentIndexList()
        self._items = [items[i] for i in ordered]
        self._texts = [texts[i] for i in ordered]
        self._arrival = [arrival[i] for i in ordered]
        self.changePersistentIndexList(old_indexes, [self.index(position[i.row()], i.column())
                                                     for i in old_indexes])
        self.layoutChanged.emit()

    # ---- what a screen reads ---------------------------------------------------------------

    def item(self, row: int):
        return self._items[row]

    def items(self) -> list:
        return list(self._items)

    def text(self, row: int, column: int) -> str:
        return self._texts[row][column]

    # ---- Qt's model interface --------------------------------------------------------------

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802 - Qt's name
        if role == DISPLAY and orientation == _QT.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def data(self, index, role=DISPLAY):
        row = index.row()
        if row < 0 or row >= len(self._items):
            return None
        if role == DISPLAY:
            return self._texts[row][index.column()]
        if role == ID_ROLE:
            return self.item_id(self._items[row])
        if role == TOOLTIP:
            return self.tooltip(row, index.column())
        if role == _ALIGN:
            return self.alignment(index.column())
        return None
