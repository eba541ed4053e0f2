"""Retention and disposal (8.1, 9.3): the Data Protection Manager's review queue, the rules and
where each comes from, and the disposal certificates.

For each record the DPM disposes of it, keeps it until a date with a reason, puts it on legal
hold or releases it, or records the date of the event its rule counts from. Disposal lists what
will go and the partners to tell before anything happens, and runs off the GUI thread (it ends by
rebuilding the vault file). Everything it does is a function of app.retention.
"""

from __future__ import annotations

from app import retention as core
from app.errors import SpocError
from ui.kit.dialogs import FormDialog, error_text, info_box
from ui.kit.fields import DateField, TextBox
from ui.kit.formatting import agency_name, plural, uk_date, uk_time
from ui.kit.preview import show_report
from ui.kit.widgets import Area, announce, ErrorSummary, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt
from ui.worker import Op

QUEUE_COLUMNS = ("Reference", "State", "Rule", "Counts from", "Due", "Why")
RULE_COLUMNS = ("Rule", "Agency", "Record", "Counts from", "Period", "Action", "Source", "Applies here")
CERT_COLUMNS = ("Certificate", "Disposed of", "Approved by", "Records", "Partners to tell")
SHOW = (("due", "Due for review"), ("", "Every retained record"), ("held", "On legal hold"),
        ("kept", "Kept until a date"), ("waiting", "Waiting for the event"))


def _table(columns, *, multi: bool = False) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection if multi
                           else QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setWordWrap(True)
    table.setSortingEnabled(True)
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the core's order until a click
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QtWidgets.QTableWidget, rows, keys) -> None:
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, (values, key) in enumerate(zip(rows, keys)):
        for c, value in enumerate(values):
            item = QtWidgets.QTableWidgetItem(str(value))
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)
    table.setSortingEnabled(True)
    table.resizeColumnsToContents()
    table.resizeRowsToContents()


def _selected_keys(table: QtWidgets.QTableWidget) -> list[str]:
    keys = []
    for index in table.selectionModel().selectedRows():
        key = table.item(index.row(), 0).data(Qt.ItemDataRole.UserRole)
        if key not in keys:
            keys.append(key)
    return keys


class DisposeDialog(QtWidgets.QDialog):
    """What disposal will remove and whom to tell, before it happens; the DPM approves here."""

    def __init__(self, parent, plan: core.DisposalPlan):
        super().__init__(parent)
        self.setWindowTitle("Dispose of records")
        self.setModal(True)
        self.setMinimumWidth(620)
        self.plan = plan
        layout = QtWidgets.QVBoxLayout(self)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.summary.show_problems([(None, f"{p.message}" if p.message.startswith(p.field)
                                     else f"{p.field}: {p.message}") for p in plan.problems])
        n = len(plan.items)
        layout.addWidget(heading(f"Dispose of {n} record{'s' if n != 1 else ''}?", 2))
        layout.addWidget(plain_label(
            "Each record is deleted with what hangs only off it: subjects no other record names, dispatches, "
            "responses, drafts and its full-text index entries. The disclosure register, meetings, breaches and "
            "the audit trail keep its reference only. The vault is then rebuilt so no page keeps it. "
            "This cannot be undone."))
        self.listing = QtWidgets.QListWidget()
        self.listing.setAccessibleName("Records to dispose of")
        self.listing.setWordWrap(True)
        partners: set[str] = set()
        for item in plan.items:
            partners.update(item.sent_to)
            self.listing.addItem(f"{item.reference}: {item.counts_text()}; rule {item.rule or 'none'}"
                                 + (f"; sent to {', '.join(item.sent_to)}" if item.sent_to else ""))
        layout.addWidget(self.listing)
        self.partners = plain_label(
            "Partners to tell afterwards (they received these records): "
            + (", ".join(agency_name(p) for p in sorted(partners)) if partners else "none."))
        layout.addWidget(self.partners)
        buttons = QtWidgets.QDialogButtonBox()
        self.dispose_button = buttons.addButton(f"&Dispose of {n} record{'s' if n != 1 else ''}",
                                                QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.dispose_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        self.dispose_button.setEnabled(plan.ok)
        self.dispose_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)


class RetentionArea(Area):
    key = "retention"
    title = "Retention"
    permission = "retention.review"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.items: list[core.ReviewItem] = []
        self.last_certificate: core.Certificate | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading("Retention and disposal"))
        layout.addWidget(plain_label(
            "Each agency holds data only as long as its own rules allow (clause 8.1) and disposes of it so that "
            "reconstruction is unlikely (9.3). Nothing is disposed of without your approval."))
        self.tabs = QtWidgets.QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._queue_tab(), "Review &queue")
        self.tabs.addTab(self._rules_tab(), "R&ules")
        self.tabs.addTab(self._certificates_tab(), "&Certificates")

    # ---- queue ---------------------------------------------------------------------------

    def _queue_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        top = QtWidgets.QHBoxLayout()
        self.show_filter = QtWidgets.QComboBox()
        for value, text in SHOW:
            self.show_filter.addItem(text, value)
        self.show_filter.setAccessibleName("Show")
        label = QtWidgets.QLabel("&Show")
        label.setBuddy(self.show_filter)
        top.addWidget(label)
        top.addWidget(self.show_filter)
        top.addStretch(1)
        self.counts = plain_label("", wrap=False)
        self.counts.setAccessibleName("Retention counts")
        top.addWidget(self.counts)
        layout.addLayout(top)
        self.show_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table = _table(QUEUE_COLUMNS, multi=True)
        self.table.setAccessibleName("Retained records")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint_label("Oldest first. Choose one or more records (Ctrl or Shift to choose several)."))
        buttons = QtWidgets.QHBoxLayout()
        self.dispose_button = QtWidgets.QPushButton("&Dispose of…")
        self.dispose_button.setToolTip("Lists what will be removed and whom to tell before anything happens")
        self.keep_button = QtWidgets.QPushButton("&Keep until…")
        self.hold_button = QtWidgets.QPushButton("Legal &hold…")
        self.release_button = QtWidgets.QPushButton("Re&lease…")
        self.event_button = QtWidgets.QPushButton("Record &event…")
        self.event_button.setToolTip("The date a rule counts from: the subject's death, the end of proceedings")
        for button, handler in ((self.dispose_button, self.dispose), (self.keep_button, self.keep),
                                (self.hold_button, self.hold), (self.release_button, self.release),
                                (self.event_button, self.record_event)):
            button.clicked.connect(handler)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = plain_label("")
        self.status.setAccessibleName("Result")
        layout.addWidget(self.status)
        return page

    def refresh(self) -> None:
        vault = self.session.vault
        try:
            everything = core.review(vault)
        except SpocError as exc:
            self.counts.setText(error_text(exc, "The retained records could not be read."))
            return
        wanted = self.show_filter.currentData()
        self.items = [i for i in everything if i.state != "live" and (not wanted or i.state == wanted)]
        if wanted == "due":
            self.items.sort(key=lambda i: (i.due_on or "", i.reference))
        due = sum(1 for i in everything if i.is_due)
        held = sum(1 for i in everything if i.state == "held")
        self.counts.setText(f"{due} due for review, {held} on hold, {plural(len(everything), 'request')} retained")
        _fill(self.table, [(i.reference, core.STATE_WORDS.get(i.state, i.state), i.rule.id, i.counts_from,
                            uk_date(i.due_on), i.why) for i in self.items],
              [i.record_id for i in self.items])
        self.table.horizontalHeader().setSectionResizeMode(len(QUEUE_COLUMNS) - 1,
                                                           QtWidgets.QHeaderView.ResizeMode.Stretch)
        self._selection_changed()
        self._refresh_rules()
        self._refresh_certificates()

    def _selection_changed(self) -> None:
        chosen = self.chosen()
        one = len(chosen) == 1
        self.dispose_button.setEnabled(bool(chosen))
        for button in (self.keep_button, self.hold_button, self.release_button, self.event_button):
            button.setEnabled(one)

    def chosen(self) -> list[core.ReviewItem]:
        keys = _selected_keys(self.table)
        return [i for i in self.items if i.record_id in keys]

    def select(self, *references: str) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() in references:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def dispose(self) -> None:
        refs = [i.reference for i in self.chosen()]
        if not refs:
            return
        try:
            plan = core.plan_disposal(self.session.vault, refs)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The disposal could not be planned."))
            return
        dialog = DisposeDialog(self, plan)
        self.dialog = dialog

        def finished(result: int) -> None:
            if result != QtWidgets.QDialog.DialogCode.Accepted.value:
                self.status.setText("Nothing was disposed of.")
                return
            self.run_disposal(refs)

        dialog.finished.connect(finished)
        dialog.open()  # window-modal, never a nested event loop: the area stays testable

    def run_disposal(self, refs: list[str]) -> None:
        vault = self.session.vault
        self.dispose_button.setEnabled(False)
        self.status.setText(f"Disposing of {plural(len(refs), 'record')} and rebuilding the vault…")

        def done(cert: core.Certificate) -> None:
            self.last_certificate = cert
            self.refresh()
            self.changed.emit()
            announce(self.status,
                     f"Disposed of {plural(len(cert.items), 'record')} under certificate {cert.reference}; audit chain "
                     f"head {cert.head_short}. Partners to tell: {', '.join(cert.partners) or 'none'}.")

        def failed(exc: BaseException) -> None:
            self.status.setText(error_text(exc, "Nothing was disposed of: the disposal failed."))
            self._selection_changed()

        self.task = Op(self, lambda: core.dispose(vault, refs, approve=True), "Nothing was disposed of.") \
            .success(done).failure(failed).run()

    def _one(self) -> core.ReviewItem | None:
        chosen = self.chosen()
        return chosen[0] if len(chosen) == 1 else None

    def _form(self, title: str, intro: str, action: str, build, submit) -> FormDialog:
        dialog = FormDialog(self, title, intro, action, submit)
        build(dialog)
        self.dialog = dialog
        return dialog

    def keep(self) -> None:
        item = self._one()
        if item is None:
            return

        def build(d):
            d.until = d.add("until", "&Keep until", DateField(), "Day/month/year. The record comes back to the "
                            "queue on that date.")
            d.reason = d.add("reason", "&Why it is kept", TextBox(3), "Kept in the record; never in the audit trail")

        dialog = self._form(f"Keep {item.reference}", "Keep the record past its review date.", "&Keep", build,
                            lambda d: core.keep_until(self.session.vault, item.reference, d.until.text(),
                                                      d.reason.value()))
        self._after(dialog, f"{item.reference} is kept.")

    def hold(self) -> None:
        item = self._one()
        if item is None:
            return

        def build(d):
            box = QtWidgets.QComboBox()
            box.addItem("Choose", "")
            for code, label in core.load_information_rights().hold_reasons.items():
                box.addItem(label, code)
            d.code = d.add("reason_code", "&Why it is held", box)
            d.reason = d.add("reason", "&Details", TextBox(3), "Needed for 'another legal reason'")

        dialog = self._form(f"Legal hold on {item.reference}", "A record on hold is never due for disposal until "
                            "the hold is released.", "Put on &hold", build,
                            lambda d: core.hold(self.session.vault, item.reference, d.code.currentData(),
                                                d.reason.value()))
        self._after(dialog, f"{item.reference} is on hold.")

    def release(self) -> None:
        item = self._one()
        if item is None:
            return

        def build(d):
            d.reason = d.add("reason", "&Why (optional)", TextBox(2))

        dialog = self._form(f"Release {item.reference}", "Lift a hold or a keep-until decision; the record's rule "
                            "applies again. Holds that come from an open breach or request stay.", "&Release", build,
                            lambda d: core.release(self.session.vault, item.reference, d.reason.value()))
        self._after(dialog, f"{item.reference} is released.")

    def record_event(self) -> None:
        item = self._one()
        if item is None:
            return

        def build(d):
            box = QtWidgets.QComboBox()
            box.addItem("Choose", "")
            for event in core.load_information_rights().events:
                if event.recorded:
                    box.addItem(event.label.capitalize(), event.id)
            d.event = d.add("event", "&What happened", box)
            d.on = d.add("on_date", "&When", DateField(), "Day/month/year")

        dialog = self._form(f"Record an event for {item.reference}", "The date a retention rule counts from.",
                            "&Record", build,
                            lambda d: core.record_event(self.session.vault, item.reference, d.event.currentData(),
                                                        d.on.text()))
        self._after(dialog, f"The event is recorded for {item.reference}.")

    def _after(self, dialog: FormDialog, said: str) -> None:
        def accepted() -> None:
            self.refresh()
            announce(self.status, said)   # focus on what happened, not the navigation list

        dialog.accepted.connect(accepted)
        dialog.open()

    # ---- rules and certificates ------------------------------------------------------------

    def _rules_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(plain_label(
            "Every agency's rules from the agreement data, and this desk's default from its policy "
            "('Review retained information after'). A record with no rule of this desk's agency uses the default."))
        self.rules = _table(RULE_COLUMNS)
        self.rules.setAccessibleName("Retention rules")
        layout.addWidget(self.rules, 1)
        return page

    def _refresh_rules(self) -> None:
        views = core.rule_views(self.session.vault)
        _fill(self.rules, [(v.rule.id, v.agency_name, v.rule.record_kind.capitalize(), v.event_label, f"{v.rule.period_months} months",
                            v.rule.action.capitalize(), v.rule.source, "Yes" if v.applies_here else "No")
                           for v in views], [v.rule.id for v in views])
        self.rules.horizontalHeader().setSectionResizeMode(6, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.rules.resizeRowsToContents()
        for row, view in enumerate(views):
            for col in range(len(RULE_COLUMNS)):
                self.rules.item(row, col).setToolTip(f"{view.rule.text} ({view.rule.source})")

    def _certificates_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        self.certificates = _table(CERT_COLUMNS)
        self.certificates.setAccessibleName("Disposal certificates")
        layout.addWidget(self.certificates, 1)
        row = QtWidgets.QHBoxLayout()
        self.print_button = QtWidgets.QPushButton("&Print certificate…")
        self.print_button.clicked.connect(self.print_certificate)
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    def _refresh_certificates(self) -> None:
        certs = core.list_certificates(self.session.vault)
        _fill(self.certificates, [(c.reference, uk_time(c.disposed_at), c.approved_by,
                                   ", ".join(i["reference"] for i in c.items), ", ".join(c.partners) or "None")
                                  for c in certs], [c.reference for c in certs])

    def print_certificate(self) -> None:
        keys = _selected_keys(self.certificates)
        reference = keys[0] if keys else (self.last_certificate.reference if self.last_certificate else None)
        if reference is None:
            self.dialog = info_box(self, "Print certificate", "Choose a certificate first.")
            self.dialog.open()
            return
        self.preview = show_report(self, self.session, "disposal-certificate", reference)
