"""Requests (police SPOC and partner SPOC): the list of requests, newest first, paged lazily off
the GUI thread; a status filter; the overdue list for chasing; search; and, as pages of the same
area (not dialogs, so a lock keeps what was typed), the request form, the request view with its
collation, and the response form of a request received from another desk."""

from __future__ import annotations

from app import textcheck
from app.drafts import discard_draft
from app.errors import SpocError
from app.requests import (OVERDUE_SORT, REQUEST_SORT, TO_ANSWER_SORT, allowed, allowed_dispatch, get_request, list_requests,
                          overdue_page, receives_requests, to_answer_page)
from app.search import search
from ui.qt import QtCore, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text
from ui.kit.formatting import agency_name, plural, uk_date
from ui.requests import found
from ui.requests.form import RequestForm
from ui.requests.view import REQUEST_STATUS_TITLES, RequestView
from ui.kit.widgets import Area, ErrorSummary, heading, hint_label, HINT_STYLE, plain_label, SUCCESS_STYLE
from ui.kit.paged import ID_ROLE, PagedTableModel, setup_sorting
from ui.kit.tables import remember
from ui.worker import Op
from ui.kit import theme

DISPATCH_ROLE = ID_ROLE + 1  # the overdue list: which agency of the request is overdue

PAGE_SIZE = 200  # the first page: enough to fill the window, fast to show
MAX_PAGE_SIZE = 5000  # each further page doubles, up to this (list_requests' own cap)
COLUMNS = ("Reference", "Request date", "Status", "Requested by", "Subjects", "Agencies answered", "Overdue")


def row_texts(item) -> tuple[str, ...]:
    """The seven cells of one row, as shown (computed with the page, in the worker)."""
    return (item.reference, uk_date(item.request_date), REQUEST_STATUS_TITLES.get(item.status, item.status),
            textcheck.visible(item.requester_name), str(item.subjects),
            f"{item.answered} of {item.agencies}" if item.agencies else "Not sent",
            f"{item.overdue} overdue" if item.overdue else "—")


class RequestListModel(PagedTableModel):
    """Request summaries, paged through the worker (ui/kit/paged.py); the status filter and the
    sort are conditions of app.requests.list_requests, so both run over the whole set. The
    reference, date, status and requester sort; the counts do not (use "Overdue answers")."""

    columns = COLUMNS
    sorts = {0: "reference", 1: "date", 2: "status", 3: "requester"}
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
        page = list_requests(vault, after=after, limit=limit, status=query.get("status"), sort=query.get("sort"),
                             descending=query.get("descending"))
        return page.items, page.next_after

    def row_texts(self, item) -> tuple[str, ...]:
        return row_texts(item)

    def sort_caption(self) -> str:
        query = self.sort_query()
        return REQUEST_SORT.caption(query["sort"], query["descending"])

    def summary(self, row: int):
        return self.item(row)


OVERDUE_COLUMNS = ("Reference", "Agency", "Status", "Due", "Days overdue")


class OverdueModel(PagedTableModel):
    """The overdue answers, oldest overdue first, sorted and paged in the database
    (app.requests.overdue_page)."""

    columns = OVERDUE_COLUMNS
    sorts = {0: "reference", 1: "agency", 2: "status", 3: "due", 4: "due"}
    default_sort = (3, Qt.SortOrder.AscendingOrder)
    fallback = "The overdue answers could not be read. Try again."

    def sort_query(self) -> dict:
        query = super().sort_query()
        if self._sort[0] == 4:  # more days overdue is an earlier due date
            query["descending"] = not query["descending"]
        return query

    def read_page(self, vault, query, after, limit):
        page = overdue_page(vault, after=after, limit=limit, sort=query.get("sort"),
                            descending=query.get("descending"), asked_by_us=True)
        return page.items, page.next_after

    def row_texts(self, item) -> tuple[str, ...]:
        d = item.dispatch
        return (item.reference, d.agency_name, d.status.capitalize(), uk_date(d.due_date),
                plural(item.days_overdue, "day"))

    def item_id(self, item):
        return item.request_id

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == DISPATCH_ROLE and 0 <= index.row() < len(self._items):
            return self._items[index.row()].dispatch.id   # opened with this agency chosen, ready to chase
        return super().data(index, role)

    def sort_caption(self) -> str:
        query = self.sort_query()
        if self._sort[0] == 4:
            return "Most days overdue first" if not query["descending"] else "Fewest days overdue first"
        return OVERDUE_SORT.caption(query["sort"], query["descending"])


TO_ANSWER_COLUMNS = ("Reference", "From", "Request date", "Answer due", "Status")


class ToAnswerModel(PagedTableModel):
    """A partner desk's requests to answer: its dispatches awaiting an answer, due date first,
    sorted and paged in the database (app.requests.to_answer_page)."""

    columns = TO_ANSWER_COLUMNS
    sorts = {0: "reference", 1: "from", 3: "due"}
    default_sort = (3, Qt.SortOrder.AscendingOrder)
    fallback = "The requests to answer could not be read. Try again."

    def read_page(self, vault, query, after, limit):
        page = to_answer_page(vault, after=after, limit=limit, sort=query.get("sort"),
                              descending=query.get("descending"))
        return page.items, page.next_after

    def row_texts(self, item) -> tuple[str, ...]:
        d = item.dispatch
        due = uk_date(d.due_date) if d.due_date else "—"
        if d.is_overdue():
            due += f" (OVERDUE by {plural(d.days_overdue(), 'day')})"
        return (item.reference, agency_name(item.origin_agency), uk_date(item.request_date), due,
                "Acknowledged" if d.status == "acknowledged" else "Not yet acknowledged")

    def item_id(self, item):
        return item.request_id

    def sort_caption(self) -> str:
        query = self.sort_query()
        return TO_ANSWER_SORT.caption(query["sort"], query["descending"])


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
    open_subject = Signal(str)  # the shell opens the subject's page (a node of a request's map)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.form: RequestForm | None = None
        self.response_form = None
        self._list_op: Op | None = None
        self._response_for: tuple[str, str] | None = None
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
        self.view.open_subject.connect(self.open_subject)
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
        theme.style(self.new_button, theme.PRIMARY_LOOK)
        self.new_button.clicked.connect(lambda: self.open_form(None))
        self.new_button.setVisible(self.session.can("requests.write"))
        top.addWidget(self.new_button)
        layout.addLayout(top)
        layout.addWidget(hint_label("Personal data requests (Appendix 2). Click a column's heading to sort the "
                                    "whole list by it; open a request to see every agency's answer side by side."))

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
        self.partner_desk = receives_requests(self.session.vault)
        if self.partner_desk:  # a desk other desks send requests to opens on its own work (issue 17)
            self.filter.addItem("To answer (sent to this desk)", "to-answer")
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
        theme.style(self.list_notice, SUCCESS_STYLE)
        self.list_notice.hide()
        layout.addWidget(self.list_notice)
        self.showing = plain_label("")
        theme.style(self.showing, HINT_STYLE)
        layout.addWidget(self.showing)

        self.views = QtWidgets.QStackedWidget()
        layout.addWidget(self.views, 1)
        # requests
        self.model = RequestListModel(self.session.vault, self)
        self.model.loading_changed.connect(self._update_showing)
        self.model.rowsInserted.connect(lambda *_a: self._update_showing())
        self.model.failed.connect(lambda text: self.list_summary.show_problems([(self.filter, text)]))
        self.table = self._paged_table(self.model, "Requests", "requests", (150, 110, 90, 220, 80, 140))
        self.views.addWidget(self.table)
        # overdue
        self.overdue_model = OverdueModel(self.session.vault, self)
        self.overdue_model.loading_changed.connect(self._update_showing)
        self.overdue_model.rowsInserted.connect(lambda *_a: self._update_showing())
        self.overdue_model.failed.connect(lambda text: self.list_summary.show_problems([(self.filter, text)]))
        self.overdue_table = self._paged_table(self.overdue_model, "Overdue answers", "requests.overdue",
                                               (150, 220, 110, 110))
        self.views.addWidget(self.overdue_table)
        # to answer (a partner desk)
        self.to_answer_model = ToAnswerModel(self.session.vault, self)
        self.to_answer_model.loading_changed.connect(self._update_showing)
        self.to_answer_model.rowsInserted.connect(lambda *_a: self._update_showing())
        self.to_answer_model.failed.connect(lambda text: self.list_summary.show_problems([(self.filter, text)]))
        self.to_answer_table = self._paged_table(self.to_answer_model, "Requests to answer", "requests.to_answer",
                                                 (150, 220, 110, 220))
        self.views.addWidget(self.to_answer_table)
        self.respond_first = QtWidgets.QPushButton("&Respond…")
        self.respond_first.setAccessibleName("Respond to the chosen request, or the one due first")
        self.respond_first.clicked.connect(self.respond_to_selected)
        for model in (self.model, self.overdue_model, self.to_answer_model):
            model.sort_changed.connect(self._update_showing)
        # search results
        self.results_table = _table(found.COLUMNS)
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
        bottom.addWidget(self.respond_first)
        self.respond_first.hide()
        bottom.addWidget(self.back_to_all)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        return page

    def _paged_table(self, model, name: str, remembered: str, widths) -> QtWidgets.QTableView:
        table = QtWidgets.QTableView()
        table.setModel(model)
        table.setAccessibleName(name)
        table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionsMovable(True)
        for column, width in enumerate(widths):
            table.setColumnWidth(column, width)
        remember(table, remembered)
        setup_sorting(table, model)
        table.activated.connect(self._open_index)
        table.doubleClicked.connect(self._open_index)
        return table

    def _update_showing(self, *_args) -> None:
        """The caption says what the list shows, in the order it shows it (issue 17)."""
        try:
            current = self.views.currentWidget()
            if current is self.table:
                model = self.model
                status = self.filter.currentText()
                count = model.rowCount()
                text = f"{model.sort_caption()}. Showing {plural(count, 'request')}"
                if status and self.filter.currentData():
                    text += f" ({status.lower()})"
            elif current is self.to_answer_table:
                model = self.to_answer_model
                count = model.rowCount()
                text = (f"{model.sort_caption()}. {plural(count, 'request')} from other desks "
                        f"{'is' if count == 1 else 'are'} waiting for your answer")
                if not count and not model.is_loading():
                    text = "Nothing is waiting for your answer"
            elif current is self.overdue_table:
                model = self.overdue_model
                count = model.rowCount()
                text = (f"{model.sort_caption()}. Showing {plural(count, 'overdue answer')}. Open one to chase it "
                        "or change its due date")
            else:
                return
            if model.is_loading():
                text += " — loading more…"
            elif model.canFetchMore():
                text += " — scroll down for more"
            self.showing.setText(text + ".")
        except RuntimeError:
            return

    def _filter_changed(self) -> None:
        value = self.filter.currentData()
        if self._list_op is not None:
            self._list_op.cancel()
        self.list_summary.show_problems([])
        self.back_to_all.hide()
        self.respond_first.setVisible(value == "to-answer")
        if value == "overdue":
            self.load_overdue()
        elif value == "to-answer":
            self.views.setCurrentWidget(self.to_answer_table)
            self.to_answer_model.reload()
            self._update_showing()
        else:
            self.views.setCurrentWidget(self.table)
            self.model.reload(value)
            self._update_showing()

    def reload_list(self) -> None:
        self._filter_changed()

    def load_overdue(self) -> None:
        self.views.setCurrentWidget(self.overdue_table)
        self.overdue_model.reload()
        self._update_showing()

    def run_search(self) -> None:
        text = self.search_box.text()
        self.list_summary.show_problems([])
        if not text.strip():
            self.clear_search()
            return
        vault = self.session.vault
        self.showing.setText("Searching…")
        self._searched = text
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
            for r, hit in enumerate(result.hits):
                for c, value in enumerate(found.hit_cells(hit)):
                    cell = QtWidgets.QTableWidgetItem(value)
                    cell.setData(ID_ROLE, hit.request_id)
                    table.setItem(r, c, cell)
            # Closest first (as typed, then other spellings, then sounds alike) until a header is clicked.
            table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            table.setSortingEnabled(True)
            table.resizeColumnsToContents()
            self.views.setCurrentWidget(table)
            count = len(result.hits)
            self.showing.setText(found.found_text(self._searched, result.hits, result.truncated))
            self.back_to_all.show()
            if count:
                table.selectRow(0)
        except RuntimeError:
            return

    def clear_search(self) -> None:
        self.search_box.clear()
        self.back_to_all.hide()
        self.filter.setCurrentIndex(self.filter.findText("All requests"))
        self._filter_changed()

    def _open_index(self, index) -> None:
        request_id = index.data(ID_ROLE)
        if request_id and self.open_request(request_id) and index.data(DISPATCH_ROLE):
            self.view.select_dispatch(index.data(DISPATCH_ROLE))

    def _open_item(self, item) -> None:
        request_id = item.data(ID_ROLE)
        if request_id:
            if self.open_request(request_id) and item.data(DISPATCH_ROLE):
                self.view.select_dispatch(item.data(DISPATCH_ROLE))
        else:
            self.list_summary.show_problems([(self.search_box, "That subject is not on any request yet")])

    def open_selected(self) -> None:
        current = self.views.currentWidget()
        if current in (self.table, self.overdue_table, self.to_answer_table):
            index = current.currentIndex()
            if index.isValid():
                self._open_index(index)
        else:
            item = current.currentItem()
            if item is not None:
                self._open_item(item)

    def respond_to_selected(self):
        """Open the response form for the chosen request to answer (the first due when none is
        chosen): no need to open the request and pick this desk's row first."""
        model, table = self.to_answer_model, self.to_answer_table
        if not model.rowCount():
            return None
        row = table.currentIndex().row() if table.currentIndex().isValid() else 0
        item = model.item(row)
        try:
            request = get_request(self.session.vault, item.request_id)
        except SpocError as exc:
            self.list_summary.show_problems([(self.filter, error_text(exc, "The request could not be opened."))])
            return None
        dispatch = next((d for d in request.dispatches if d.id == item.dispatch.id), None)
        if dispatch is None or not allowed_dispatch(self.session.vault, request, dispatch).respond.ok:
            return None
        self.view.load(request.id)
        return self.open_response(request, dispatch)

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
        form.mark_clean()
        return form

    def _drop_response(self) -> None:
        if self.response_form is not None:
            self.response_form.setParent(None)
            self.response_form.deleteLater()
            self.response_form = None
            self._response_for = None

    def _response_saved(self, response) -> None:
        request_id = self._response_for[0] if self._response_for else None
        self._discard_draft()
        self._drop_response()
        if request_id:
            if self.open_request(request_id) and response is not None:
                self.view.say({"draft": "Your response is saved as a draft.",
                               "sent": "Your response is recorded as sent. Use Make package to seal it for them.",
                               "received": "The answer received is recorded."}.get(response.status, ""))
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
            if self.response_form.has_unsaved_changes():
                return {"page": "response", "request_id": self._response_for[0],
                        "dispatch_id": self._response_for[1], "form": self.response_form.state(),
                        "received": self.response_form.received}
        return None

    def discard_changes(self) -> None:
        """The user chose "Discard changes": the form closes as Back without saving would."""
        if self.form is not None and self.stack.currentWidget() is self.form:
            self._form_cancelled()
        elif self.response_form is not None and self.stack.currentWidget() is self.response_page:
            self._response_cancelled()

    def go_back(self) -> bool:
        """Alt+Left: the form's Back (which asks first), or from a request back to the list."""
        current = self.stack.currentWidget()
        if self.form is not None and current is self.form:
            self.form.cancel()
        elif self.response_form is not None and current is self.response_page:
            self.response_form.cancel()
        elif current is self.view:
            self.show_list()
        elif current is self.list_page and not self.back_to_all.isHidden():
            self.clear_search()   # "Back to all requests" from search results
        else:
            return False
        return True

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
