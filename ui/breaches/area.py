"""The Data Protection Manager's desk (clause 10, 13.2): open breaches with both clocks (overdue
first, said in words, not colour only), filters, the register of all breaches, one breach's
timeline of dated, attributed updates with a form for each kind of update (including suspending
sharing with a partner and lifting it, with reasons), and the requests whose responses are overdue.

Everything it does is a function of app.breaches / app.requests; this only shows and asks.
"""

from __future__ import annotations

from app import breaches as core
from app.agreement import load_agreement
from app.drafts import discard_draft, save_draft
from app.errors import SpocError
from app.records import Invalid
from app.requests import overdue_dispatches
from app.suspensions import history as suspension_history
from ui.qt import QtCore, QtWidgets, Qt
from ui.kit.keys import primary_button
from ui.kit.dialogs import confirm_then, error_text, question_box
from ui.kit.fields import LineBox, TextBox
from ui.kit.guard import ask_discard, open_question
from ui.kit.formatting import plural, uk_date, uk_time
from ui.kit.paged import PagedTableModel, setup_sorting
from ui.kit.tables import remember
from ui.worker import Op
from ui.kit.widgets import (Area, LabelValueGrid, ErrorSummary, FieldRow, frameless_scroll, heading, hint_label,
                        no_mnemonic, plain_label)
from ui.kit import theme


def columns() -> tuple[str, ...]:
    """The breach log's headings; the clocks' hours come from the agreement (app.breaches)."""
    return ("Reference", "Kind", "Agency", "Aware", core.clock_heading("dpm", "column"),
            core.clock_heading("ico", "column"), "Status")


# Shares of the breach log's width (Reference and Aware fit their text, Status takes what is left;
# these share the rest): the columns fit
# the window, at 150 % too, with no sideways scrolling, until the user sets widths of their own.
BREACH_COLUMN_SHARES = (11, 17, 17, 12, 18, 18)


OVERDUE_COLUMNS = ("Request", "Agency", "Due", "Days overdue", "Status")

# The fields each kind of update asks for (keys of UpdateForm.rows), in order.
KIND_FIELDS = {
    "dpm-notified": ("who", "at"),
    "controller-informed": ("who", "at"),
    "risk-assessed": ("risk", "reasons", "at"),
    "ico-decision": ("notify", "reason", "at"),
    "ico-notified": ("ico_reference", "at"),
    "subjects-told": ("told", "how", "reason", "at"),
    "partners-notified": ("partners", "note", "at"),
    "review": ("outcome", "lessons", "at"),
    "alternative-exchange": ("arrangement", "at"),
    "suspension-recommended": ("partner", "reason", "at"),
    "suspension-decided": ("partner", "suspend", "reason", "at"),
    "suspension-lifted": ("partner", "reason", "at"),
    "note": ("text", "at"),
    "closed": ("reason", "at"),
    "reopened": ("reason", "at"),
}
FIELD_LABELS = {
    "who": "Who", "at": "When (optional)", "risk": "Risk to people", "reasons": "Reasons",
    "notify": "Tell the ICO?", "reason": "Reason", "ico_reference": "ICO reference", "told": "Were the data subjects told?",
    "how": "How and when they were told (optional)", "partners": "Partners told", "note": "Note (optional)",
    "outcome": "Review outcome", "lessons": "Lessons learned (optional)",
    "arrangement": "Alternative exchange arranged until repair", "partner": "Partner",
    "suspend": "Suspend sharing with this partner?", "text": "Note",
}
FIELD_HINTS = {
    "at": "dd/mm/yyyy HH:MM in UK time; leave blank for now. Kept in UTC.",
    "reason": "Needed either way, and kept in the breach record (UK GDPR Art 33(5))",
    "suspend": "Clause 13.2. A suspended partner is refused new requests, responses and disclosures "
               "until the suspension is lifted",
    "told": "If not, say why in the reason",
}


def _combo(items) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    for value, text in items:
        box.addItem(text, value)
    return box


class UpdateForm(QtWidgets.QFrame):
    """Add one update to the selected breach; shows only the fields its kind needs."""

    def __init__(self, area: "DpmArea"):
        super().__init__()
        self.area = area
        self.question: QtWidgets.QMessageBox | None = None   # "Suspend sharing?" while it is open
        self.setObjectName("updateForm")
        theme.style(self, "QFrame#updateForm { border: 1px solid {border}; }")
        agreement = load_agreement()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading("Add to the record", 2))
        layout.addWidget(hint_label("Each entry is dated and signed with your name. Nothing already recorded is changed."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.kind = _combo(core.UPDATE_KINDS.items())
        self.kind.setMaximumWidth(420)
        kind_row = FieldRow("What to record", self.kind)
        layout.addWidget(kind_row)
        self.rows: dict[str, FieldRow] = {}
        self.inputs: dict[str, QtWidgets.QWidget] = {}
        yes_no = (("", "Choose"), ("yes", "Yes"), ("no", "No"))
        for key in ("who", "risk", "partner", "partners", "notify", "told", "suspend", "ico_reference", "reasons",
                    "reason", "how", "outcome", "lessons", "arrangement", "note", "text", "at"):
            if key in ("notify", "told", "suspend"):
                field = _combo(yes_no)
            elif key == "risk":
                field = _combo((("", "Choose"), *core.RISKS.items()))
            elif key == "partner":
                field = _combo((("", "Choose a partner"), *((p.code, p.name) for p in agreement.partners)))
            elif key == "partners":
                field = QtWidgets.QListWidget()
                for p in agreement.partners:
                    item = QtWidgets.QListWidgetItem(p.name)
                    item.setData(Qt.ItemDataRole.UserRole, p.code)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Unchecked)
                    field.addItem(item)
                field.setMaximumHeight(150)
            elif key in ("reasons", "reason", "how", "outcome", "lessons", "arrangement", "note", "text"):
                field = TextBox(3)
            else:
                field = LineBox()
                if key == "at":
                    field.setPlaceholderText("dd/mm/yyyy HH:MM")
            field.setMaximumWidth(200 if key == "at" else 560)
            row = FieldRow(FIELD_LABELS[key], field, FIELD_HINTS.get(key, ""))
            self.rows[key] = row
            self.inputs[key] = field
            layout.addWidget(row)
        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Record")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.clicked.connect(self.submit)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.kind.currentIndexChanged.connect(lambda _i: self._show_fields())
        self._show_fields()

    def _show_fields(self) -> None:
        wanted = KIND_FIELDS.get(self.kind.currentData(), ())  # none while the form is scrubbed at lock
        for key, row in self.rows.items():
            row.setVisible(key in wanted)
            row.set_error(None)
        self.summary.show_problems([])

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def value(self, key: str):
        field = self.inputs[key]
        if isinstance(field, QtWidgets.QComboBox):
            return field.currentData() or ""
        if isinstance(field, QtWidgets.QListWidget):
            return [field.item(i).data(Qt.ItemDataRole.UserRole) for i in range(field.count())
                    if field.item(i).checkState() == Qt.CheckState.Checked]
        return field.value()

    def data(self) -> dict:
        return {key: self.value(key) for key in KIND_FIELDS[self.kind.currentData()]}

    def clear(self) -> None:
        for field in self.inputs.values():
            if isinstance(field, QtWidgets.QComboBox):
                field.setCurrentIndex(0)
            elif isinstance(field, QtWidgets.QListWidget):
                for i in range(field.count()):
                    field.item(i).setCheckState(Qt.CheckState.Unchecked)
            else:
                field.set_value("")
        self._show_fields()

    def set_value(self, key: str, value) -> None:
        field = self.inputs[key]
        if isinstance(field, QtWidgets.QComboBox):
            field.setCurrentIndex(max(0, field.findData(value if isinstance(value, str) else "")))
        elif isinstance(field, QtWidgets.QListWidget):
            wanted = set(value) if isinstance(value, (list, tuple)) else set()
            for i in range(field.count()):
                item = field.item(i)
                item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted
                                   else Qt.CheckState.Unchecked)
        else:
            field.set_value(value if isinstance(value, str) else "")

    def typed(self) -> dict | None:
        """What the user put in (any field, shown or not, for any kind), with the kind chosen; None
        when the form holds nothing worth keeping (the kind alone is not input)."""
        fields = {}
        for key in self.inputs:
            value = self.value(key)
            if (value if isinstance(value, list) else str(value).strip()):
                fields[key] = value
        if not fields:
            return None
        return {"kind": self.kind.currentData() or "", "fields": fields}

    def fill(self, kind, fields) -> None:
        """Put a kept draft back: its kind first (which shows its fields), then every value."""
        if isinstance(kind, str) and kind in core.UPDATE_KINDS:
            self.set_kind(kind)
        for key, value in (fields.items() if isinstance(fields, dict) else ()):
            if key in self.inputs and (isinstance(value, str) or
                                       (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                self.set_value(key, value)

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            row.set_error(None)
        entries = []
        for field, text in problems:
            row = self.rows.get(field)
            message = text if text[:1].isupper() else f"{FIELD_LABELS.get(field, field)} {text}"
            if row is not None:
                row.set_error(message)
            entries.append((row.field if row is not None else None, message))
        self.summary.show_problems(entries)

    def submit(self):
        breach = self.area.current
        if breach is None:
            return None
        kind = self.kind.currentData()
        data = self.data()
        problems, _at, _details = core.validate_update(breach, kind, data)
        if problems:
            self.show_problems(problems)
            return None
        if kind == "suspension-decided" and data.get("suspend") == "yes":
            name = load_agreement().partner(data["partner"]).name
            box = question_box(self, "Suspend sharing",
                               f"Suspend sharing with {name}?\n\nUntil the suspension is lifted, nobody at this desk "
                               f"can send {name} a request, a response or an onward disclosure (clause 13.2).",
                               "Suspend sharing")
            # Asked without blocking: the update is saved once "Suspend sharing" is chosen.
            self.question = confirm_then(box, self.area, lambda: self._save(breach, kind, data))
            return None
        return self._save(breach, kind, data)

    def _save(self, breach, kind: str, data: dict):
        try:
            saved = core.add_update(self.area.session.vault, breach.id, kind, data)
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The update was not saved."))])
            return None
        self.clear()
        self.area.after_update(saved)
        return saved


class BreachListModel(PagedTableModel):
    """The breach log, read whole (a desk's breaches are few) through the worker; a header click
    sorts in app.breaches.list_breaches: by the clocks (the default: overdue first) or by one of
    BREACH_SORT's columns in the database. Filters are conditions of the same call."""

    columns = columns()
    sorts = {0: "reference", 1: "category", 2: "agency", 3: "aware", 4: "urgency", 5: "urgency"}
    default_sort = (4, Qt.SortOrder.AscendingOrder)
    fallback = "The breach log could not be read."

    def read_page(self, vault, query, after, limit):
        items = core.list_breaches(vault, status=query.get("status"), category=query.get("category"),
                                   overdue_only=bool(query.get("overdue_only")), sort=query.get("sort"),
                                   descending=query.get("descending"))
        return items, None

    def row_texts(self, breach) -> tuple[str, ...]:
        dpm, ico = breach.clocks()
        return (breach.reference, breach.category_name, breach.agency_name, uk_time(breach.aware_at),
                dpm.text(), ico.text(), breach.state.status.capitalize())

    def _overdue(self, row: int, column: int) -> bool:
        if column not in (4, 5):
            return False
        breach = self.item(row)
        return breach.state.status == "open" and breach.clocks()[column - 4].overdue

    def foreground(self, row: int, column: int):
        return theme.item_colour("danger") if self._overdue(row, column) else None

    def bold(self, row: int, column: int) -> bool:
        return self._overdue(row, column)

    def sort_caption(self) -> str:
        query = self.sort_query()
        if query["sort"] == "urgency":
            return core.URGENCY_CAPTIONS[1 if query["descending"] else 0]
        return core.BREACH_SORT.caption(query["sort"], query["descending"])


class DpmArea(Area):
    key = "breaches"
    title = "Breaches"
    permission = "breaches.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.agreement = load_agreement()
        self.current = None
        self._list_op: Op | None = None
        self._overdue_op: Op | None = None
        self._dialog = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(6)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Breaches"), 1)
        self.log_button = QtWidgets.QPushButton("&Log a breach…")
        self.log_button.clicked.connect(self.open_dialog)
        top.addWidget(self.log_button)
        self.complaint_button = QtWidgets.QPushButton("Record a co&mplaint…")
        self.complaint_button.setToolTip("A complaint relative to the agreement (clause 10.1): the same "
                                         "Data Protection Manager clock as a breach.")
        self.complaint_button.clicked.connect(self.open_complaint_dialog)
        top.addWidget(self.complaint_button)
        self.register_button = QtWidgets.QPushButton("Print the &register…")
        self.register_button.setToolTip("Every breach, including decisions not to tell the ICO (UK GDPR Art 33(5)), "
                                        "with both clocks, marked OFFICIAL-SENSITIVE.")
        self.register_button.clicked.connect(self.print_register)
        top.addWidget(self.register_button)
        layout.addLayout(top)
        layout.addWidget(plain_label(
            f"{core.clock_rule()} Overdue breaches are listed first."))
        # What happened to unsaved work kept over a lock (brought back, or why it could not be).
        self.note = plain_label("")
        self.note.setAccessibleName("Breaches status")
        self.note.hide()
        layout.addWidget(self.note)
        self.tabs = QtWidgets.QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._breaches_tab(), "Breach &log")
        self.tabs.addTab(self._overdue_tab(), "&Overdue responses")
        from ui.breaches.complaints import ComplaintsPage

        self.complaints = ComplaintsPage(self)
        self.tabs.addTab(self.complaints, "&Complaints")

    # ---- the breach log ------------------------------------------------------------------

    def _breaches_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        filters = QtWidgets.QHBoxLayout()
        self.status_filter = _combo((("open", "Open breaches"), ("closed", "Closed breaches"),
                                     ("", "All breaches (the register)")))
        self.status_filter.setAccessibleName("Show")
        show_label = QtWidgets.QLabel("&Show")
        show_label.setBuddy(self.status_filter)
        filters.addWidget(show_label)
        filters.addWidget(self.status_filter)
        self.category_filter = _combo((("", "Any kind"), *((c.id, c.name) for c in self.agreement.breach_categories)))
        self.category_filter.setAccessibleName("Kind of breach")
        kind_label = QtWidgets.QLabel("&Kind")
        kind_label.setBuddy(self.category_filter)
        filters.addWidget(kind_label)
        filters.addWidget(self.category_filter)
        self.overdue_only = QtWidgets.QCheckBox("Overdue &only")
        filters.addWidget(self.overdue_only)
        filters.addStretch(1)
        self.counts = plain_label("")
        self.counts.setAccessibleName("Breach counts")
        filters.addWidget(self.counts)
        layout.addLayout(filters)
        for widget in (self.status_filter, self.category_filter):
            # A long kind ("Unauthorised or accidental disclosure") must not widen the page past
            # the window at 150 %; the open list still shows each choice in full.
            widget.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(12)
            widget.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue_only.toggled.connect(lambda _b: self.refresh())

        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(split, 1)
        self.order_note = plain_label("")
        self.order_note.setAccessibleName("Order of the breach log")
        layout.insertWidget(layout.indexOf(split), self.order_note)
        self.model = BreachListModel(self.session.vault, self)
        self.model.page_arrived.connect(self._list_arrived)
        self.model.failed.connect(self.counts.setText)
        self.model.sort_changed.connect(self._show_counts)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Breaches")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self._fitting = False
        self._own_widths = False
        remember(self.table, "breaches")
        self._own_widths = bool(self.table.property("spocdeskRestored"))   # widths the user set before
        header.sectionResized.connect(self._column_resized)
        self.table.viewport().installEventFilter(self)
        setup_sorting(self.table, self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        split.addWidget(self.table)

        self.detail_scroll = frameless_scroll()
        detail = QtWidgets.QWidget()
        self.detail_scroll.setWidget(detail)
        d = QtWidgets.QVBoxLayout(detail)
        d.setContentsMargins(0, 8, 8, 8)
        self.empty = hint_label("Choose a breach to see its record and timeline.")
        d.addWidget(self.empty)
        title_row = QtWidgets.QHBoxLayout()
        self.detail_title = heading("", 2)
        title_row.addWidget(self.detail_title, 1)
        self.print_breach_button = QtWidgets.QPushButton("&Print breach report…")
        self.print_breach_button.clicked.connect(self.print_breach)
        title_row.addWidget(self.print_breach_button, 0, Qt.AlignmentFlag.AlignTop)
        d.addLayout(title_row)
        self.clock_text = plain_label("", selectable=True)
        self.clock_text.setAccessibleName("Clocks")
        theme.style(self.clock_text, "QLabel { border: 0px none; border-left: 5px solid {accent}; padding-left: 8px; }")
        d.addWidget(self.clock_text)
        # The record laid out as a page: headings over label/value grids, not one block of text.
        self.facts = QtWidgets.QWidget()
        self.facts.setAccessibleName("The breach as reported")
        record = QtWidgets.QVBoxLayout(self.facts)
        record.setContentsMargins(0, 0, 0, 0)
        record.setSpacing(4)
        self.record_headings: dict[str, QtWidgets.QLabel] = {}
        self.record_grids: dict[str, LabelValueGrid] = {}
        for key, title in (("reported", "The breach as reported"), ("happened", "What happened"),
                           ("data", "Data involved"), ("actions", "What has been done")):
            self.record_headings[key] = heading(title, 2)
            self.record_grids[key] = LabelValueGrid(title)
            record.addWidget(self.record_headings[key])
            record.addWidget(self.record_grids[key])
        d.addWidget(self.facts)
        self.timeline_heading = heading("Timeline", 2)
        d.addWidget(self.timeline_heading)
        self.timeline = plain_label("", selectable=True)
        self.timeline.setAccessibleName("Timeline of updates")
        d.addWidget(self.timeline)
        self.form = UpdateForm(self)
        d.addWidget(self.form)
        self.suspensions_heading = heading("Partner suspensions (13.2)", 2)
        d.addWidget(self.suspensions_heading)
        self.suspensions = plain_label("", selectable=True)
        self.suspensions.setAccessibleName("Partner suspensions")
        d.addWidget(self.suspensions)
        d.addStretch(1)
        split.addWidget(self.detail_scroll)
        split.setSizes([260, 420])
        self._show_detail(None)
        return page

    # ---- the breach log's columns fit its width ------------------------------------------

    def fit_columns(self) -> None:
        """Share the breach log's width among its columns (word-wrapped, the last stretched), so
        it needs no sideways scrolling at 150 %; once the user drags a column, their widths stay."""
        if self._own_widths:
            return
        header = self.table.horizontalHeader()
        last = len(BREACH_COLUMN_SHARES)
        # The reference never wraps; Status keeps room for its heading and sort arrow.
        # The reference and the aware date never wrap mid-word; Status keeps room for its heading
        # and sort arrow; the other columns share the rest.
        metrics = self.table.fontMetrics()
        reference = metrics.horizontalAdvance("BR-2026-00000") + 16
        aware = metrics.horizontalAdvance("30/11/2026") + 20
        status = max(header.sectionSizeHint(last), header.minimumSectionSize(), header.defaultSectionSize())
        width = self.table.viewport().width() - reference - aware - status
        if width <= 0:
            return
        shares = {c: s for c, s in enumerate(BREACH_COLUMN_SHARES) if c not in (0, 3)}
        total = sum(shares.values())
        self._fitting = True
        try:
            self.table.setColumnWidth(0, reference)
            self.table.setColumnWidth(3, aware)
            for column, share in shares.items():
                self.table.setColumnWidth(column, max(48, width * share // total))
        finally:
            self._fitting = False

    def _column_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column < len(BREACH_COLUMN_SHARES) and self.table.isVisible():
            self._own_widths = True

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.Resize and obj is self.table.viewport():
            self.fit_columns()
        return super().eventFilter(obj, event)

    def refresh(self) -> None:
        """Read the breach log (with the filters chosen) and the overdue responses off the GUI
        thread; the breach shown stays selected when the list comes back."""
        vault = self.session.vault
        self.model.reload(status=self.status_filter.currentData() or None,
                          category=self.category_filter.currentData() or None,
                          overdue_only=self.overdue_only.isChecked())
        if self._list_op is not None:
            self._list_op.cancel()
        self._list_op = Op(self, lambda: core.list_breaches(vault, status="open", audit=False),
                           "The breach log could not be read.").error_to(self.counts) \
            .success(self._counts_arrived).run()
        self._overdue_refresh()
        self.complaints.refresh()

    @property
    def items(self) -> list:
        return self.model.items()

    def _counts_arrived(self, all_open: list) -> None:
        overdue = sum(1 for b in all_open if b.is_overdue())
        self.counts.setText(f"{len(all_open)} open, {overdue} overdue")

    def _show_counts(self) -> None:
        self.order_note.setText(f"{self.model.sort_caption()}. Click a column's heading to sort by it.")

    def _list_arrived(self) -> None:
        self._show_counts()
        pending, self._pending_select = getattr(self, "_pending_select", None), None
        keep = self.current.id if self.current is not None else None
        self.table.resizeRowsToContents()
        for wanted in (pending, keep):
            if wanted is not None:
                for row, breach in enumerate(self.items):
                    if wanted in (breach.id, breach.reference):
                        self.table.selectRow(row)
                        return
        if self.current is not None and self.form.typed() is not None:
            return   # not in this list (a filter), but its update holds typing: it stays on screen
        self._show_detail(None)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        breach_id = self.model.item(rows[0].row()).id
        if self.current is not None and self.current.id == breach_id:
            return
        if self.current is not None and self.form.typed() is not None:
            # Another breach would clear the update being typed: ask first (ui/kit/guard.py); the
            # list stays on this breach unless the user chooses "Discard changes".
            self._select_quietly(self.current.id)
            if open_question(self) is None:
                ask_discard(self, True, lambda: (self._drop_breach_update(), self.select(breach_id)))
            return
        try:
            self._show_detail(core.get_breach(self.session.vault, breach_id))
        except SpocError as exc:
            self.say(error_text(exc, "The breach could not be read."))   # facts is a page of grids, not a label

    def _select_quietly(self, breach_id: str | None) -> None:
        """Put the list's selection on `breach_id` (none if None or not listed) without reacting."""
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        try:
            self.table.clearSelection()
            for row, breach in enumerate(self.items):
                if breach_id is not None and breach.id == breach_id:
                    self.table.selectRow(row)
                    break
        finally:
            selection.blockSignals(False)

    def select(self, ref_or_id: str) -> None:
        """Choose a breach; one not in the list yet (still loading, e.g. from a Home link) is
        chosen when the list arrives."""
        self._pending_select = None
        for row, breach in enumerate(self.items):
            if ref_or_id in (breach.id, breach.reference):
                self.table.selectRow(row)
                return
        self._pending_select = ref_or_id

    def _show_detail(self, breach) -> None:
        self.current = breach
        shown = breach is not None
        self.empty.setVisible(not shown)
        for widget in (self.detail_title, self.print_breach_button, self.clock_text, self.facts,
                       self.timeline_heading, self.timeline, self.form, self.suspensions_heading, self.suspensions):
            widget.setVisible(shown)
        if not shown:
            return
        state = breach.state
        dpm, ico = breach.clocks()
        self.detail_title.setText(f"{breach.reference}: {breach.category_name} ({state.status})")
        self.clock_text.setText(f"{core.clock_heading('dpm')}: {dpm.text()}\n"
                                f"{core.clock_heading('ico')}: {ico.text()}")
        links = core.linked_labels(self.session.vault, breach)
        sections = {
            "reported": [("Reported by", breach.reporter), ("Reported", uk_time(breach.created_at)),
                         ("Logged by", breach.created_by), ("Agency", breach.agency_name),
                         ("Kind of breach", breach.category_name),
                         ("When it happened", uk_time(breach.occurred_at) if breach.occurred_at else "Not known"),
                         ("When the agency became aware", uk_time(breach.aware_at)),
                         ("Risk", core.RISKS[state.risk] if state.risk else "")],
            "happened": [("Facts", breach.facts), ("Likely consequences", breach.consequences)],
            "data": [("Linked records", ", ".join(links)), ("Kinds of data", breach.data_categories),
                     ("About how many people", "" if breach.people_count is None else str(breach.people_count)),
                     ("About how many records", "" if breach.records_count is None else str(breach.records_count))],
            "actions": [("Containment", breach.containment), ("Remedial action", breach.remedial)],
        }
        for key, rows in sections.items():
            self.record_grids[key].set_rows(rows)
            self.record_headings[key].setVisible(not self.record_grids[key].isHidden())
        entries = [f"{uk_time(u.at)}  {u.label} — recorded by {u.recorded_by} at "
                   f"{uk_time(u.recorded_at)}\n    {u.summary()}" for u in breach.updates]
        self.timeline.setText("\n\n".join(entries) if entries else "Nothing recorded yet: record when you, the Data "
                              "Protection Manager, were told.")
        if not breach.updates and self.form.typed() is None:   # never under the user's typing
            self.form.set_kind("dpm-notified")
        rows = [s for s in suspension_history(self.session.vault) if s.lifted_at is None]
        self.suspensions.setText("\n".join(
            f"{self.agreement.partner(s.partner).name}: suspended since {uk_time(s.from_at)} by "
            f"{s.suspended_by}. {s.reason}" for s in rows) or "No partner is suspended.")

    def after_update(self, breach) -> None:
        self._show_detail(core.get_breach(self.session.vault, breach.id, audit=False))
        self._sync_kept_draft()   # recorded: a draft kept over a lock for it is not needed now
        self.refresh()  # the list re-sorts off the GUI thread; this breach stays selected
        self.changed.emit()

    # ---- unsaved input (ui/kit/guard.py) and drafts over a lock ----------------------------

    def go_back(self) -> bool:
        """Alt+Left and Escape close the breach (or complaint) shown, back to the list alone,
        asking first when its update form holds typing."""
        if self.tabs.currentWidget() is self.complaints:
            return self.complaints.go_back()
        if self.tabs.currentIndex() != 0 or self.current is None:
            return False
        if open_question(self) is None:
            ask_discard(self, self.form.typed() is not None, self._close_breach)
        return True

    def _close_breach(self) -> None:
        self._drop_breach_update()
        self._select_quietly(None)
        self._show_detail(None)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _drop_breach_update(self) -> None:
        self.form.clear()
        self._sync_kept_draft()

    def draft_state(self) -> dict | None:
        """The update being typed to the breach shown, and to the complaint shown: each with its
        record, the kind chosen and every value; None when neither form holds typing."""
        state = {}
        typed = self.form.typed() if self.current is not None else None
        if typed is not None:
            state["breach"] = {"id": self.current.id, "reference": self.current.reference, **typed}
        complaint = self.complaints.draft_state()
        if complaint is not None:
            state["complaint"] = complaint
        if not state:
            return None
        state["tab"] = "complaints" if self.tabs.currentWidget() is self.complaints else "breaches"
        return state

    def discard_changes(self) -> None:
        self.form.clear()
        self.complaints.discard_changes()
        self._sync_kept_draft()

    def restore_draft_state(self, payload: dict) -> None:
        """After an unlock: open the breach (and the complaint) again with the update as it was
        typed; one that is no longer on this desk is said in the status line and let go."""
        if not isinstance(payload, dict):
            return
        notes, dropped = [], False
        kept = payload.get("breach")
        if isinstance(kept, dict) and isinstance(kept.get("id"), str):
            reference = kept.get("reference") if isinstance(kept.get("reference"), str) else "a breach"
            try:
                breach = core.get_breach(self.session.vault, kept["id"])
            except SpocError:
                breach = None
            if breach is None:
                dropped = True
                notes.append(f"The update you were typing to {reference} could not be brought back: that "
                             "breach is no longer on this desk, so what you typed was let go.")
            else:
                self._show_detail(breach)
                self.form.fill(kept.get("kind"), kept.get("fields"))
                self._pending_select = breach.id   # chosen in the list when it arrives
                self._select_quietly(breach.id)
                notes.append(f"Your unsaved update to {breach.reference} is back, as you left it. Choose "
                             "Record to add it to the record.")
        complaint = payload.get("complaint")
        if isinstance(complaint, dict):
            note, back = self.complaints.restore_draft_state(complaint)
            notes.append(note)
            dropped = dropped or not back
        if payload.get("tab") == "complaints" and self.complaints.draft_state() is not None:
            self.tabs.setCurrentWidget(self.complaints)
        elif self.form.typed() is not None:
            self.tabs.setCurrentIndex(0)
        if dropped:
            self._sync_kept_draft()   # a part was let go: the kept draft holds only what came back
        self.say(" ".join(n for n in notes if n))

    def say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_kept_update(self, which: str = "breach") -> None:
        """Home's "Continue the update to …": the tab with the form, scrolled to it, focus in it."""
        if which == "complaint":
            self.tabs.setCurrentWidget(self.complaints)
            self.complaints.show_form()
            return
        self.tabs.setCurrentIndex(0)
        if self.current is not None:
            self.detail_scroll.ensureWidgetVisible(self.form)
            self.form.kind.setFocus(Qt.FocusReason.OtherFocusReason)

    def _sync_kept_draft(self) -> None:
        """The draft kept in the vault follows what the forms hold now (Home lists it): gone once
        the update is recorded or discarded."""
        try:
            if self.session.vault is None or self.session.vault.user is None:
                return
            state = self.draft_state()
            if state is None:
                self.say("")   # "Your unsaved update … is back" is over: it was recorded or let go
                discard_draft(self.session.vault, self.key)
            else:
                save_draft(self.session.vault, self.key, state)
        except SpocError:
            pass

    def print_register(self):
        from ui.kit.preview import show_report

        return show_report(self, self.session, "breach-register", "all")

    def print_breach(self):
        from ui.kit.preview import show_report

        if self.current is None:
            return None
        return show_report(self, self.session, "breach", self.current.reference)

    def open_dialog(self):
        from ui.breaches.dialog import open_breach_dialog

        self._dialog = open_breach_dialog(self, self.session)
        self._dialog.saved.connect(lambda _b: self.refresh())
        return self._dialog

    def open_complaint_dialog(self):
        from ui.breaches.complaint_dialog import open_complaint_dialog

        self._dialog = open_complaint_dialog(self, self.session)
        self._dialog.saved.connect(lambda _c: (self.complaints.refresh(),
                                               self.tabs.setCurrentWidget(self.complaints)))
        return self._dialog

    # ---- overdue responses ---------------------------------------------------------------

    def _overdue_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(plain_label("Requests sent by this desk whose responses are past their due date, the "
                                     "longest overdue first."))
        self.overdue_table = QtWidgets.QTableWidget(0, len(OVERDUE_COLUMNS))
        self.overdue_table.setHorizontalHeaderLabels(OVERDUE_COLUMNS)
        self.overdue_table.setAccessibleName("Overdue responses")
        self.overdue_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.overdue_table.verticalHeader().hide()
        self.overdue_table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((150, 320, 120, 120)):
            self.overdue_table.setColumnWidth(col, width)
        layout.addWidget(self.overdue_table, 1)
        self.overdue_note = hint_label("")
        layout.addWidget(self.overdue_note)
        return page

    def _overdue_refresh(self) -> None:
        if not self.session.can("requests.read"):
            self.overdue_note.setText("Your role does not read requests.")
            return
        vault = self.session.vault
        if self._overdue_op is not None:
            self._overdue_op.cancel()
        self._overdue_op = Op(self, lambda: overdue_dispatches(vault), "The overdue list could not be read.") \
            .error_to(self.overdue_note).success(self._overdue_arrived).run()

    def _overdue_arrived(self, rows: list) -> None:
        rows = sorted(rows, key=lambda r: -r.days_overdue)
        self.overdue_table.setRowCount(len(rows))
        for row, item in enumerate(rows):
            d = item.dispatch
            values = (item.reference, d.agency_name, uk_date(d.due_date),
                      plural(item.days_overdue, "day"), d.status)
            for col, value in enumerate(values):
                self.overdue_table.setItem(row, col, QtWidgets.QTableWidgetItem(value))
        self.overdue_note.setText(f"{plural(len(rows), 'response')} overdue.")
        self.tabs.setTabText(1, no_mnemonic(f"Overdue responses ({len(rows)})").replace("Overdue", "&Overdue", 1))
