"""Requests (police SPOC and partner SPOC): the list of requests, newest first, paged lazily off
the GUI thread; a status filter; the overdue list for chasing; search; and, as pages of the same
area (not dialogs, so a lock keeps what was typed), the request form, the request view with its
collation, and the response form of a request received from another desk."""

from __future__ import annotations

from app import textcheck
from app.drafts import discard_draft
from app.errors import SpocError
from app.requests import allowed, get_request, list_requests, overdue_dispatches
from app.search import search
from ui.qt import QtCore, QtWidgets, Qt
from ui.kit.dialogs import error_text
from ui.kit.formatting import plural, uk_date
from ui.requests.form import RequestForm
from ui.requests.view import REQUEST_STATUS_TITLES, RequestView
from ui.kit.widgets import Area, ErrorSummary, heading, hint_label, HINT_STYLE, plain_label, SUCCESS_STYLE
from ui.kit.paged import ID_ROLE, PagedTableModel
from ui.worker import Op

DISPATCH_ROLE = ID_ROLE + 1  # the overdue list: which agency of the request is overdue

PAGE_SIZE = 200  # the first page: enough to fill the window, fast to show
MAX_PAGE_SIZE = 5000  # each further page doubles, up to this (list_requests' own cap)
COLUMNS = ("Reference", "Request date", "Status", "Requested by", "Subjects", "Agencies answered", "Overdue")


def _sort_key(column: int):
    """What each column sorts on (the reference sorts as the request's sequence number)."""
    return (lambda item: item.seq, lambda item: item.request_date, lambda item: item.status,
            lambda item: item.requester_name.casefold(), lambda item: item.subjects,
            lambda item: item.answered, lambda item: item.overdue)[column]


def row_texts(item) -> tuple[str, ...]:
    """The seven cells of one row, as shown (computed with the page, in the worker)."""
    return (item.reference, uk_date(item.request_date), REQUEST_STATUS_TITLES.get(item.status, item.status),
            textcheck.visible(item.requester_name), str(item.subjects),
            f"{item.answered} of {item.agencies}" if item.agencies else "Not sent",
            f"{item.overdue} overdue" if item.overdue else "—")


class RequestListModel(PagedTableModel):
    """Request summaries, newest first (keyset on seq), paged through the worker (ui/kit/paged.py);
    the status filter is a condition of app.requests.list_requests. Sorting by a column orders
    the rows loaded so far, the reference as the request's sequence number."""

    columns = COLUMNS
    fallback = "The list could not be read. Try again."

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = PAGE_SIZE,
                 max_page_size: int = MAX_PAGE_SIZE):
        super().__init__(vault, parent, page_size, max_page_size)

    @property
    def status(self) -> str | None:
        return self.query.get("status")

    def reload(self, status: str | None = None) -> None:
        super().reload(status=status)

    def read_page(self, vault, query, after, limit):
        page = list_requests(vault, after=after, limit=limit, status=query.get("status"))
        return page.items, page.next_after

    def row_texts(self, item) -> tuple[str, ...]:
        return row_texts(item)

    def sort_key(self, column: int):
        key = _sort_key(column)
        return lambda item, _texts: key(item)

    def summary(self, row: int):
        return self.item(row)


def _table(columns) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.setSortingEnabled(True)
    return table


class RequestsArea(Area):
    key = "requests"
    title = "Requests"
    permission = "requests.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.form: RequestForm | None = None
        self.response_form = None
        self._list_op: Op | None = None
        self._response_for: tuple[str, str] | None = None
        self._response_baseline = None
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QtWidgets.QStackedWidget()
        outer.addWidget(self.stack)
        self.list_page = self._build_list_page()
        self.stack.addWidget(self.list_page)
        self.view = RequestView(session)
        self.view.back_requested.connect(self.show_list)
        self.view.edit_requested.connect(lambda request: self.open_form(request))
        self.view.respond_requested.connect(self.open_response)
        self.view.receive_requested.connect(lambda request, dispatch: self.open_response(request, dispatch,
                                                                                         received=True))
        self.view.changed.connect(self._view_changed)
        self.stack.addWidget(self.view)
        self.response_page = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(self.response_page).setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.response_page)
        self._loaded_once = False

    # ---- the list page ---------------------------------------------------------------------

    def _build_list_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(8)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Requests"))
        top.addStretch(1)
        self.new_button = QtWidgets.QPushButton("&New request")
        self.new_button.setStyleSheet("QPushButton { background: #00703c; color: #ffffff; padding: 6px 14px; "
                                      "font-weight: bold; }")
        self.new_button.clicked.connect(lambda: self.open_form(None))
        self.new_button.setVisible(self.session.can("requests.write"))
        top.addWidget(self.new_button)
        layout.addLayout(top)
        layout.addWidget(hint_label("Personal data requests (Appendix 2), newest first. Open one to see every "
                                    "agency's answer side by side."))

        tools = QtWidgets.QHBoxLayout()
        self.search_box = QtWidgets.QLineEdit()
        self.search_box.setPlaceholderText("Search references, names, aliases and text, then press Enter")
        self.search_box.setAccessibleName("Search requests")
        self.search_box.setMaxLength(500)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.returnPressed.connect(self.run_search)
        self.search_box.setVisible(self.session.can("search"))
        tools.addWidget(self.search_box, 2)
        self.search_button = QtWidgets.QPushButton("Search")
        self.search_button.clicked.connect(self.run_search)
        self.search_button.setVisible(self.session.can("search"))
        tools.addWidget(self.search_button)
        tools.addSpacing(16)
        show_label = QtWidgets.QLabel("&Show:")
        self.filter = QtWidgets.QComboBox()
        show_label.setBuddy(self.filter)
        self.filter.setAccessibleName("Show")
        for text, value in (("All requests", None), ("Drafts", "draft"), ("Open", "open"), ("Closed", "closed"),
                            ("Overdue answers (for chasing)", "overdue")):
            self.filter.addItem(text, value)
        self.filter.currentIndexChanged.connect(self._filter_changed)
        tools.addWidget(show_label)
        tools.addWidget(self.filter, 1)
        layout.addLayout(tools)

        self.list_summary = ErrorSummary()
        layout.addWidget(self.list_summary)
        self.list_notice = plain_label("")
        self.list_notice.setStyleSheet(SUCCESS_STYLE)
        self.list_notice.hide()
        layout.addWidget(self.list_notice)
        self.showing = plain_label("")
        self.showing.setStyleSheet(HINT_STYLE)
        layout.addWidget(self.showing)

        self.views = QtWidgets.QStackedWidget()
        layout.addWidget(self.views, 1)
        # requests
        self.model = RequestListModel(self.session.vault, self)
        self.model.loading_changed.connect(self._update_showing)
        self.model.rowsInserted.connect(lambda *_a: self._update_showing())
        self.model.failed.connect(lambda text: self.list_summary.show_problems([(self.filter, text)]))
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Requests")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((150, 110, 90, 220, 80, 140)):
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        self.views.addWidget(self.table)
        # overdue
        self.overdue_table = _table(("Reference", "Agency", "Status", "Due", "Days overdue"))
        self.overdue_table.setAccessibleName("Overdue answers")
        self.overdue_table.itemActivated.connect(self._open_item)
        self.overdue_table.itemDoubleClicked.connect(self._open_item)
        self.views.addWidget(self.overdue_table)
        # search results
        self.results_table = _table(("Reference", "Kind", "Found"))
        self.results_table.setAccessibleName("Search results")
        self.results_table.itemActivated.connect(self._open_item)
        self.results_table.itemDoubleClicked.connect(self._open_item)
        self.views.addWidget(self.results_table)

        bottom = QtWidgets.QHBoxLayout()
        self.open_button = QtWidgets.QPushButton("&Open request")
        self.open_button.clicked.connect(self.open_selected)
        self.back_to_all = QtWidgets.QPushButton("Back to all requests")
        self.back_to_all.clicked.connect(self.clear_search)
        self.back_to_all.hide()
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.back_to_all)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        return page

    def _update_showing(self, *_args) -> None:
        try:
            if self.views.currentWidget() is not self.table:
                return
            count = self.model.rowCount()
            text = f"Showing {plural(count, 'request')}"
            if self.model.is_loading():
                text += " — loading more…"
            elif self.model.canFetchMore():
                text += " — scroll down for older ones"
            self.showing.setText(text + ". Sorting orders the requests shown.")
        except RuntimeError:
            return

    def _filter_changed(self) -> None:
        value = self.filter.currentData()
        if self._list_op is not None:
            self._list_op.cancel()
        self.list_summary.show_problems([])
        self.back_to_all.hide()
        if value == "overdue":
            self.load_overdue()
        else:
            self.views.setCurrentWidget(self.table)
            self.model.reload(value)
            self._update_showing()

    def reload_list(self) -> None:
        self._filter_changed()

    def load_overdue(self) -> None:
        self.views.setCurrentWidget(self.overdue_table)
        self.showing.setText("Loading overdue answers…")
        vault = self.session.vault
        self._run_list_op(lambda: overdue_dispatches(vault), self._overdue_arrived)

    def _overdue_arrived(self, items) -> None:
        try:
            table = self.overdue_table
            table.setSortingEnabled(False)
            table.setRowCount(len(items))
            for r, item in enumerate(items):
                d = item.dispatch
                cells = (item.reference, d.agency_name, d.status.capitalize(), uk_date(d.due_date),
                         item.days_overdue)
                for c, value in enumerate(cells):
                    cell = QtWidgets.QTableWidgetItem()
                    cell.setData(Qt.ItemDataRole.DisplayRole, value)
                    cell.setData(ID_ROLE, item.request_id)
                    cell.setData(DISPATCH_ROLE, d.id)   # opened with this agency chosen, ready to chase
                    table.setItem(r, c, cell)
            table.setSortingEnabled(True)
            table.resizeColumnsToContents()
            self.showing.setText(f"{plural(len(items), 'answer')} {'is' if len(items) == 1 else 'are'} overdue, oldest "
                                 "first. Open one to chase it (Chase…) or change its due date.")
        except RuntimeError:
            return

    def run_search(self) -> None:
        text = self.search_box.text()
        self.list_summary.show_problems([])
        if not text.strip():
            self.clear_search()
            return
        vault = self.session.vault
        self.showing.setText("Searching…")
        self._run_list_op(lambda: search(vault, text, 200), self._search_arrived)

    def _run_list_op(self, work, arrived) -> None:
        """The overdue list or a search, off the GUI thread; a newer one replaces it."""
        if self._list_op is not None:
            self._list_op.cancel()
        self._list_op = Op(self, work, "That could not be read.").busy(self.search_button).success(arrived) \
            .error_to(lambda text: self.list_summary.show_problems([(self.search_box, text)])).run()

    def _search_arrived(self, result) -> None:
        try:
            table = self.results_table
            table.setSortingEnabled(False)
            table.setRowCount(len(result.hits))
            kinds = {"request": "Request", "subject": "Subject", "response": "Response"}
            for r, hit in enumerate(result.hits):
                label = textcheck.visible(hit.label or "")
                if textcheck.has_hidden(hit.label or ""):
                    label = f"⚠ {label}  [hidden characters]"
                cells = (hit.reference or "(not on a request)", kinds.get(hit.kind, hit.kind), label)
                for c, value in enumerate(cells):
                    cell = QtWidgets.QTableWidgetItem(value)
                    cell.setData(ID_ROLE, hit.request_id)
                    table.setItem(r, c, cell)
            table.setSortingEnabled(True)
            table.resizeColumnsToContents()
            self.views.setCurrentWidget(table)
            count = len(result.hits)
            text = plural(count, "match", "matches")
            if result.truncated:
                text += " (more exist: add words to narrow the search)"
            self.showing.setText(text + ". Open one to see its request.")
            self.back_to_all.show()
            if count:
                table.selectRow(0)
        except RuntimeError:
            return

    def clear_search(self) -> None:
        self.search_box.clear()
        self.back_to_all.hide()
        self.filter.setCurrentIndex(0)
        self._filter_changed()

    def _open_index(self, index) -> None:
        request_id = index.data(ID_ROLE)
        if request_id:
            self.open_request(request_id)

    def _open_item(self, item) -> None:
        request_id = item.data(ID_ROLE)
        if request_id:
            if self.open_request(request_id) and item.data(DISPATCH_ROLE):
                self.view.select_dispatch(item.data(DISPATCH_ROLE))
        else:
            self.list_summary.show_problems([(self.search_box, "That subject is not on any request yet")])

    def open_selected(self) -> None:
        current = self.views.currentWidget()
        if current is self.table:
            index = self.table.currentIndex()
            if index.isValid():
                self._open_index(index)
        else:
            item = current.currentItem()
            if item is not None:
                self._open_item(item)

    # ---- pages -----------------------------------------------------------------------------

    def breach_context(self) -> dict | None:
        if self.stack.currentWidget() is self.view:
            return self.view.breach_context()
        return None

    def refresh(self) -> None:
        """Called when the area is shown: reload the list once, never disturb an open form."""
        if self.stack.currentWidget() is self.list_page and not self._loaded_once:
            self._loaded_once = True
            self.reload_list()

    def data_changed(self) -> None:
        if self.stack.currentWidget() is self.list_page:
            self.reload_list()
        else:
            self._loaded_once = False  # reloaded when the list is next shown

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        self._loaded_once = True
        self.reload_list()

    def open_request(self, request_id: str) -> bool:
        try:
            self.view.clear_messages()
            self.view.load(request_id)
        except SpocError as exc:
            self.stack.setCurrentWidget(self.list_page)
            self.list_summary.show_problems([(self.search_box, error_text(exc, "The request could not be opened."))])
            return False
        self.stack.setCurrentWidget(self.view)
        return True

    def open_form(self, request=None) -> RequestForm:
        self._drop_form()
        form = RequestForm(self.session, request)
        form.saved.connect(self._form_saved)
        form.cancelled.connect(self._form_cancelled)
        self.form = form
        self.stack.addWidget(form)
        self.stack.setCurrentWidget(form)
        form.requester_name.setFocus() if request is None else form.request_date.setFocus()
        return form

    def _drop_form(self) -> None:
        if self.form is not None:
            self.stack.removeWidget(self.form)
            self.form.deleteLater()
            self.form = None

    def _discard_draft(self) -> None:
        try:
            if self.session.vault.user is not None:
                discard_draft(self.session.vault, self.key)
        except SpocError:
            pass

    def _form_saved(self, request) -> None:
        self._discard_draft()
        self._drop_form()
        self.open_request(request.id)
        self.view.say(f"{request.reference} is saved as a draft. Check it, then choose “Send to agencies…”.")
        self._loaded_once = False
        self.changed.emit()

    def _form_cancelled(self) -> None:
        request_id = self.form.request_id if self.form is not None else None
        self._discard_draft()
        self._drop_form()
        if request_id:
            self.open_request(request_id)
        else:
            self.show_list()

    def _view_changed(self) -> None:
        self._loaded_once = False
        self.changed.emit()

    # ---- responding (a request received from another desk) ---------------------------------

    def open_response(self, request, dispatch, received: bool = False):
        """The response form: this desk's answer, or (`received`) an answer the partner sent by
        another route, keyed in on the requesting desk."""
        from ui.requests.response_form import ResponseForm  # loaded only when answering or keying in an answer

        self._drop_response()
        form = ResponseForm(self.session, request, dispatch, received=received)
        form.saved.connect(self._response_saved)
        form.cancelled.connect(self._response_cancelled)
        self.response_form = form
        self._response_for = (request.id, dispatch.id)
        self.response_page.layout().addWidget(form)
        self.stack.setCurrentWidget(self.response_page)
        self._response_baseline = form.state()
        return form

    def _drop_response(self) -> None:
        if self.response_form is not None:
            self.response_form.setParent(None)
            self.response_form.deleteLater()
            self.response_form = None
            self._response_for = None

    def _response_saved(self, _response) -> None:
        request_id = self._response_for[0] if self._response_for else None
        self._discard_draft()
        self._drop_response()
        if request_id:
            self.open_request(request_id)
        else:
            self.show_list()
        self._loaded_once = False
        self.changed.emit()

    def _response_cancelled(self) -> None:
        self._response_saved(None)

    # ---- drafts ----------------------------------------------------------------------------

    def draft_state(self) -> dict | None:
        current = self.stack.currentWidget()
        if self.form is not None and current is self.form and self.form.has_unsaved_input():
            return {"page": "form", "request_id": self.form.request_id, "form": self.form.state()}
        if self.response_form is not None and current is self.response_page and self._response_for:
            state = self.response_form.state()
            if state != self._response_baseline:
                return {"page": "response", "request_id": self._response_for[0],
                        "dispatch_id": self._response_for[1], "form": state,
                        "received": self.response_form.received}
        return None

    def restore_draft_state(self, payload: dict) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("form"), dict):
            return
        request = None
        request_id = payload.get("request_id")
        if isinstance(request_id, str) and request_id:
            try:
                request = get_request(self.session.vault, request_id)
            except SpocError:
                request = None
        if payload.get("page") == "response" and request is not None:
            dispatch = next((d for d in request.dispatches if d.id == payload.get("dispatch_id")), None)
            if dispatch is not None:
                self.view.load(request.id)
                form = self.open_response(request, dispatch, received=payload.get("received") is True)
                if form is not None:
                    form.set_state(payload["form"])
            return
        if payload.get("page") != "form":
            return
        if request is not None and not allowed(self.session.vault, request).edit.ok:
            return
        if request is None and not self.session.can("requests.write"):
            return
        form = self.open_form(request)
        form.set_state(payload["form"])
