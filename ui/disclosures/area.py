"""The disclosure register (SPOC, DPM): every request and response sent or received, every export
for sending and every onward disclosure: from whom, to whom, when, what, on which lawful basis,
through which channel, and which agency originated the information (whose written consent governs
any onward disclosure, 6.2-6.3).

Read newest first in pages through app.disclosures.list_disclosures (keyset paging) off the GUI
thread (ui/kit/paged.py), so a large register never freezes the window. The agency filter (rows
sent by or to one agency) is a condition of that query.
"""

from __future__ import annotations

from app import disclosures as register
from app.agreement import load_agreement
from app.consent import grant_citation
from app.errors import SpocError
from app.requests import get_request
from app.responses import explain_lawful_basis
from app.textcheck import visible
from ui.qt import QtCore, QtWidgets
from ui.kit.dialogs import error_text
from ui.kit.fields import readonly_text, summary_row
from ui.kit.formatting import agency_name, channel_name, plural, uk_time
from ui.kit.widgets import Area, bold_label, frameless_scroll, heading, hint_label, plain_label
from ui.kit import tables
from ui.kit.paged import PagedTableModel, setup_sorting
from ui.kit.tables import remember
from ui.worker import Op
from ui.kit import theme

PAGE_SIZE = 200
COLUMNS = ("When (UK time)", "Kind", "From", "To", "What", "Lawful basis", "Channel", "Originator")
KIND_TEXT = {
    ("request", "sent"): "Request sent", ("request", "received"): "Request received",
    ("response", "sent"): "Response sent", ("response", "received"): "Response received",
    ("export", "sent"): "Exported for sending", ("export", "received"): "Export received",
    ("onward", "sent"): "Onward disclosure", ("onward", "received"): "Onward disclosure received",
    ("meeting", "sent"): "Further disclosure permitted by a meeting chair (App. 1 para 4)",
}
HEADER_STATE = "disclosures.table"


def basis_titles(codes) -> str:
    out = []
    for code in codes:
        try:
            out.append(explain_lawful_basis(code).title)
        except SpocError:
            out.append(code)
    return "; ".join(out)


class DisclosureModel(PagedTableModel):
    """Register rows, newest first, paged through the worker (ui/kit/paged.py); optionally only
    one agency's, a condition of app.disclosures.list_disclosures' query."""

    columns = COLUMNS
    sorts = {0: "when", 2: "from", 3: "to"}
    fallback = "The register could not be read."

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = PAGE_SIZE):
        super().__init__(vault, parent, page_size)

    @property
    def agency(self) -> str:
        return self.query.get("agency") or ""

    def read_page(self, vault, query, after, limit):
        page = register.list_disclosures(vault, after=after, limit=limit, agency=query.get("agency") or None,
                                         sort=query.get("sort"), descending=query.get("descending"))
        return page.items, page.next_after

    def row_texts(self, item) -> tuple[str, ...]:
        return (uk_time(item.at, ""), KIND_TEXT.get((item.kind, item.direction), f"{item.kind} {item.direction}"),
                item.from_agency, item.to_agency, " ".join(item.what.split())[:300],
                basis_titles(item.lawful_bases) or "—", channel_name(item.channel) or "—",
                item.originator + (" — with written consent" if item.consent_grants else ""))

    def sort_caption(self) -> str:
        query = self.sort_query()
        return register.DISCLOSURE_SORT.caption(query["sort"], query["descending"])

    def set_agency(self, code: str) -> None:
        self.reload(agency=code or "")

    def tooltip(self, row: int, column: int) -> str:
        item = self.item(row)
        if column in (2, 3, 7):
            code = (item.from_agency, item.to_agency, item.originator)[(2, 3, 7).index(column)]
            return f"{agency_name(code)} ({code})"
        if column == 4:
            return item.what[:2000]
        return self.text(row, column)


class DisclosureDetails(QtWidgets.QFrame):
    """One register row in full, as a summary list."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("disclosureDetails")
        theme.style(self, "QFrame#disclosureDetails { border: 0px none; border-left: 5px solid {accent}; }")
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(12, 4, 4, 4)
        self.values: dict[str, str] = {}
        self.hide()

    def show_item(self, vault, item) -> None:
        while self._layout.count():
            child = self._layout.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        request_line, subjects = "—", []
        if item.request_id:
            try:
                request = get_request(vault, item.request_id)  # audited as a view of the request
            except SpocError as exc:
                request_line = error_text(exc, "The request is not in this vault.")
            else:
                request_line = f"{request.reference} from {agency_name(request.origin_agency)}"
                wanted = set(item.subject_ids)
                subjects = [visible(s.name) for s in request.subjects if s.id in wanted]
        self.values = {
            "What happened": KIND_TEXT.get((item.kind, item.direction), item.kind),
            "When (UK time)": uk_time(item.at),
            "From": f"{agency_name(item.from_agency)} ({item.from_agency})",
            "To": f"{agency_name(item.to_agency)} ({item.to_agency})",
            "Request": request_line,
            "Subjects": "\n".join(subjects) if subjects else "None (no personal data about subjects)",
            "What": item.what,
            "Lawful basis": "\n".join(self._basis_lines(item.lawful_bases)) or "None recorded",
            "Channel": channel_name(item.channel) or "Not recorded",
            "Originator": (f"{agency_name(item.originator)} ({item.originator}): this desk's own information"
                           if item.originator == vault.agency else
                           f"{agency_name(item.originator)} ({item.originator}): their written consent is needed "
                           "before this information goes any further (6.2, 6.3)"),
            "Written consent relied on": "\n".join(grant_citation(vault, g) for g in item.consent_grants)
                                         or "None (no other partner's information needed it)",
            "Recorded by": f"{item.recorded_by}, {uk_time(item.recorded_at)}",
        }
        self._layout.addWidget(heading("Register entry", 2))
        for key, value in self.values.items():
            if key in ("What", "Subjects") or len(value) > 200:
                self._layout.addWidget(summary_row(key, readonly_text(value, 3)))
            else:
                self._layout.addWidget(summary_row(key, value))
        self.show()

    @staticmethod
    def _basis_lines(codes) -> list[str]:
        lines = []
        for code in codes:
            try:
                view = explain_lawful_basis(code)
            except SpocError:
                lines.append(code)
                continue
            lines.append(view.title if view.in_force else f"{view.title} (cite today: {view.cite_today})")
        return lines


class DisclosuresArea(Area):
    key = "disclosures"
    title = "Disclosure register"
    permission = "disclosures.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(6)
        layout.addWidget(heading("Disclosure register"))
        layout.addWidget(plain_label(
            "Every request and response this desk sent or received, every exchange file made for sending, and "
            "every onward disclosure: from whom to whom, when, on what basis and through which channel. The "
            "originator's written consent governs any onward disclosure (6.2, 6.3)."))

        label = bold_label("Filter by &agency")
        self.agency_filter = QtWidgets.QComboBox()
        self.agency_filter.setAccessibleName("Filter by agency")
        self.agency_filter.addItem("All agencies", "")
        for partner in load_agreement().partners:
            self.agency_filter.addItem(f"{partner.name} ({partner.code})", partner.code)
        self.agency_filter.setMaximumWidth(460)
        label.setBuddy(self.agency_filter)
        layout.addWidget(label)
        layout.addWidget(hint_label("Shows entries sent by or to this agency."))
        layout.addWidget(self.agency_filter)
        self.agency_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())

        self.model = DisclosureModel(session.vault, self)
        self.model.failed.connect(self._failed)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Disclosure register entries")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        for column, width in enumerate((125, 140, 70, 70, 260, 220, 200)):
            self.table.setColumnWidth(column, width)
        remember(self.table, HEADER_STATE)
        setup_sorting(self.table, self.model)
        self.model.sort_changed.connect(lambda: self._show_count())
        self.table.activated.connect(self.open_index)
        self.table.doubleClicked.connect(self.open_index)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        layout.addWidget(self.table, 3)

        row = QtWidgets.QHBoxLayout()
        self.open_button = QtWidgets.QPushButton("&Show details")
        self.open_button.setToolTip("Shows the selected entry in full (Enter or double-click does the same).")
        self.open_button.clicked.connect(self.open_selected)
        row.addWidget(self.open_button)
        self.print_button = QtWidgets.QPushButton("&Print extract…")
        self.print_button.setToolTip("Preview, print or save the register for the agency chosen above "
                                     "(or the whole register), marked OFFICIAL-SENSITIVE.")
        self.print_button.clicked.connect(self.print_extract)
        row.addWidget(self.print_button)
        self.count = plain_label("", wrap=False)
        row.addWidget(self.count, 1)
        layout.addLayout(row)
        layout.addWidget(hint_label("Click a column's heading (When, From or To) to sort the whole register by it; "
                                    "scroll down to load more."))

        self.details_scroll = frameless_scroll()
        self.details = DisclosureDetails()
        self.details_scroll.setWidget(self.details)
        self.details_scroll.hide()
        layout.addWidget(self.details_scroll, 2)
        self._total = 0
        self._failure = ""
        self._count_op: Op | None = None
        self.model.loading_changed.connect(lambda _loading: self._show_count())
        self._update_buttons()

    def refresh(self) -> None:
        self._reload()

    def _reload(self) -> None:
        """The first page (of the agency chosen) and the register's size, read off the GUI thread."""
        self._failure = ""
        self.model.set_agency(self.agency_filter.currentData() or "")
        vault = self.session.vault
        if self._count_op is not None:
            self._count_op.cancel()
        self._count_op = Op(self, lambda: register.count_disclosures(vault), "The register could not be read.") \
            .success(self._show_count).failure(lambda _exc: self._show_count(0)).run()
        self._show_count()
        self.details_scroll.hide()
        self._update_buttons()

    def _failed(self, text: str) -> None:
        self._failure = text
        self.count.setText(text)

    def _show_count(self, total: int | None = None) -> None:
        if total is not None:
            self._total = total
        if self._failure:
            return
        total = self._total
        shown = self.model.rowCount()
        if self.model.is_loading():
            more = "; loading…"
        else:
            more = "; scroll to load more" if self.model.canFetchMore() else ""
        code = self.agency_filter.currentData()
        which = f" involving {code}" if code else ""
        self.count.setText(f"{self.model.sort_caption()}. {plural(shown, 'entry', 'entries')}{which} shown of {total}"
                           f" in the register{more}")

    def apply_filter(self) -> None:
        self._reload()

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.table.selectionModel().currentIndex().isValid())

    def open_index(self, index) -> None:
        if not index.isValid():
            return
        self.details.show_item(self.session.vault, self.model.item(index.row()))
        self.details_scroll.show()

    def print_extract(self):
        from ui.kit.preview import show_report

        return show_report(self, self.session, "disclosures", self.agency_filter.currentData() or "all")

    def breach_context(self) -> dict | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        item = self.model.item(index.row())
        linked = {"disclosure_ids": [item.id], "subject_ids": list(item.subject_ids)}
        if item.request_id:
            linked["request_ids"] = [item.request_id]
        return linked

    def open_selected(self) -> None:
        self.open_index(self.table.selectionModel().currentIndex())

    def open_row(self, row: int) -> None:
        """Show the entry in the view's `row` (tests and keyboard users)."""
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.open_index(index)

    def save_columns(self) -> None:
        tables.save_all()
