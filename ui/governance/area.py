"""Governance (clause 13; 3.1, 6.4, 11): the agreement this vault works under, each partner's
signatory and review date, disputes with their clock, the joint compliance report with its
charts, and compliance returns that reconcile this desk's disclosure register with a partner's.
The rules are in app.governance, app.compliance and app.reconcile."""

from __future__ import annotations

import datetime as _dt

from app import governance as core
from app.agreement import load_agreement
from app.compliance import scope_ref
from app.errors import SpocError
from app.records import today_london
from ui.kit.dialogs import FormDialog, error_text, open_then
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.formatting import uk_date, uk_time
from ui.kit.widgets import Area, announce, FieldRow, frameless_scroll, heading, hint_label, no_mnemonic, plain_label
from ui.qt import QtWidgets

SIGNATORY_COLUMNS = ("Partner", "Signed by", "Position", "Signed", "Review due", "State")
DISPUTE_COLUMNS = ("Reference", "With", "Raised by", "About", "Clock", "Steps")


def _combo(items) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    for value, text in items:
        box.addItem(no_mnemonic(text), value)
    return box


def _table(columns, name: str) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setAccessibleName(name)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(160)
    return table


def _fill(table: QtWidgets.QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QtWidgets.QTableWidgetItem(value))  # items show plain text
    table.resizeColumnsToContents()


class GovernanceArea(Area):
    key = "governance"
    title = "Governance"
    permission = "governance.read"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.dialog: FormDialog | None = None
        self.disputes: list = []
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        outer.addWidget(scroll)
        content = QtWidgets.QWidget()
        scroll.setWidget(content)
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(heading("Governance of the agreement"))
        self.agreement = plain_label("", selectable=True)
        self.agreement.setAccessibleName("The agreement this vault works under")
        layout.addWidget(self.agreement)
        self.status = plain_label("")
        self.status.setAccessibleName("Result")
        layout.addWidget(self.status)

        layout.addSpacing(8)
        layout.addWidget(heading("Signatories and reviews (13.4)", 2))
        self.review_hint = hint_label("")
        layout.addWidget(self.review_hint)
        self.signatories = _table(SIGNATORY_COLUMNS, "Signatories and reviews")
        layout.addWidget(self.signatories)
        row = QtWidgets.QHBoxLayout()
        self.sign_button = QtWidgets.QPushButton("Record the &signatory…")
        self.sign_button.clicked.connect(self.record_signatory)
        self.adopt_button = QtWidgets.QPushButton("Adopt a new &version of the agreement…")
        self.adopt_button.clicked.connect(self.adopt)
        self.register_button = QtWidgets.QPushButton("&Print the agreement register…")
        self.register_button.clicked.connect(lambda: self._preview("agreement-register", "all"))
        for button in (self.sign_button, self.adopt_button, self.register_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addSpacing(8)
        layout.addWidget(heading("Disputes (13.3)", 2))
        self.dispute_hint = hint_label("")
        layout.addWidget(self.dispute_hint)
        self.dispute_table = _table(DISPUTE_COLUMNS, "Disputes")
        self.dispute_table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.dispute_table)
        self.dispute_detail = plain_label("", selectable=True)
        self.dispute_detail.setAccessibleName("The selected dispute and its steps")
        layout.addWidget(self.dispute_detail)
        row = QtWidgets.QHBoxLayout()
        self.raise_button = QtWidgets.QPushButton("Record a &dispute…")
        self.raise_button.clicked.connect(self.raise_dispute)
        self.step_button = QtWidgets.QPushButton("Add a s&tep…")
        self.step_button.clicked.connect(self.add_step)
        self.close_button = QtWidgets.QPushButton("&Resolve or escalate…")
        self.close_button.clicked.connect(self.close_dispute)
        for button in (self.raise_button, self.step_button, self.close_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addSpacing(8)
        layout.addWidget(heading("Joint compliance report (13.1)", 2))
        layout.addWidget(hint_label("Requests and response times per agency, lawful bases, onward disclosures, "
                                    "breaches and their clocks, suspensions, disputes, subject access and FOI, "
                                    "reviews, training and reconciliation, with charts. No personal data."))
        self.date_from = DateField()
        self.date_to = DateField()
        self.partner = _combo([("", "All partners")])
        self.partner.setMaximumWidth(420)
        layout.addWidget(FieldRow("&From", self.date_from, "The first day of the period, day/month/year"))
        layout.addWidget(FieldRow("&To", self.date_to, "The last day of the period"))
        layout.addWidget(FieldRow("P&artner", self.partner, "All partners, or one; also the partner a "
                                  "compliance return is made for"))
        row = QtWidgets.QHBoxLayout()
        self.report_button = QtWidgets.QPushButton("Pre&view the compliance report…")
        self.report_button.clicked.connect(self.preview_compliance)
        row.addWidget(self.report_button)
        self.return_button = QtWidgets.QPushButton("&Make a compliance return…")
        self.return_button.clicked.connect(self.make_return)
        self.import_button = QtWidgets.QPushButton("&Import a partner's return…")
        self.import_button.clicked.connect(self.import_return)
        row.addWidget(self.return_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    # ---- showing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        vault = self.session.vault
        agreement = load_agreement()
        record = core.current_record(vault)
        lines = [agreement.info.title]
        if record is not None:
            lines.append(f"Version: {record.version_text}. SHA-256 of its file: {record.sha256}. Recorded "
                         f"{uk_time(record.adopted_at)} by {record.adopted_by}.")
        lines.append("Indemnity (11.1): each partner undertakes to indemnify the others against legal action "
                     "arising from a breach by its people. Shown here; nothing to enforce.")
        self.agreement.setText("\n".join(lines))
        today = today_london()
        self.review_hint.setText(f"The agreement is reviewed no later than {agreement.deadlines.review_months} "
                                 "months after each partner signs.")
        rows = []
        for s in core.signatories(vault):
            state = "Not recorded" if not s.signed else ("REVIEW OVERDUE" if s.overdue(today) else "In date")
            rows.append([s.partner_name, s.name, s.position, uk_date(s.signed_on) if s.signed_on else "",
                         uk_date(s.review_due) if s.review_due else "", state])
        _fill(self.signatories, rows)
        self.dispute_hint.setText(f"Partners make every effort to resolve a dispute within "
                                  f"{core.dispute_clock_words(agreement)}.")
        self.disputes = core.list_disputes(vault)
        _fill(self.dispute_table, [[d.reference, d.partner_name, "This desk" if d.raised_by == "us" else "Partner",
                                    d.about[:200], d.clock_text(today), str(len(d.steps))] for d in self.disputes])
        if self.partner.count() == 1:
            for p in agreement.partners:
                self.partner.addItem(no_mnemonic(p.name), p.code)
        if not self.date_from.text():
            start = _dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
            self.date_from.set_date(start)
            self.date_to.set_date(today)
        self._update_buttons()

    def _update_buttons(self) -> None:
        can = self.session.can
        self.sign_button.setEnabled(can("governance.manage"))
        self.adopt_button.setEnabled(can("governance.manage"))
        manage = can("disputes.manage")
        self.raise_button.setEnabled(manage)
        chosen = self.selected_dispute()
        self.step_button.setEnabled(manage and chosen is not None and chosen.is_open)
        self.close_button.setEnabled(manage and chosen is not None and chosen.is_open)
        self.dispute_detail.setText(_dispute_text(chosen) if chosen is not None else
                                    "Choose a dispute to see what it is about and the steps taken.")
        self.report_button.setEnabled(can("compliance.read"))
        self.return_button.setVisible(can("compliance.returns"))
        self.import_button.setVisible(can("compliance.returns"))

    def selected_dispute(self):
        rows = self.dispute_table.selectionModel().selectedRows() if self.dispute_table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.disputes):
            return None
        return self.disputes[rows[0].row()]

    # ---- actions ---------------------------------------------------------------------------

    def _run(self, dialog: FormDialog, said, action: str, **context) -> FormDialog:
        """Open the dialog without blocking; once it is saved, show the change and say it. Its
        typing survives a lock (reopen_dialog opens it again with `action` and `context`)."""
        self.dialog = dialog
        dialog.keep_over_lock("governance_dialog", {"action": action, **context})

        def saved() -> None:
            self.refresh()
            self.changed.emit()
            announce(self.status, said() if callable(said) else said)   # focus on what happened

        return open_then(dialog, self, saved)

    def select_dispute(self, reference: str) -> bool:
        for row, dispute in enumerate(self.disputes):
            if dispute.reference == reference:
                self.dispute_table.selectRow(row)
                return True
        return False

    def record_signatory(self) -> None:
        def submit(d):
            d.result = core.set_signatory(self.session.vault, d.partner.currentData() or "", {
                "name": d.name.value(), "position": d.position.value(), "signed_on": d.signed.text()})

        dialog = FormDialog(self, "Record the signatory", "Who signed the agreement for a partner, and when "
                            "(the signature page). The review falls due from this date (13.4).",
                            "&Save the signatory", submit)
        dialog.partner = dialog.add("partner", "&Partner", _combo((p.code, p.name) for p in load_agreement().partners))
        dialog.name = dialog.add("name", "&Name of the person who signed", LineBox())
        dialog.position = dialog.add("position", "P&osition", LineBox(), "For example, Chief Executive")
        dialog.signed = dialog.add("signed_on", "&Date signed", DateField(), "Day/month/year")
        self._run(dialog, lambda: f"Recorded the signatory of {dialog.result.partner_name}; review due "
                              f"{uk_date(dialog.result.review_due)}.", "record_signatory")

    def adopt(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "The new version of the agreement file", "",
                                                        "Agreement files (*.json)")
        if not path:
            return
        self.adopt_file(path)

    def adopt_file(self, path) -> None:
        def submit(d):
            d.result = core.adopt_agreement(self.session.vault, path, d.reason.value())

        dialog = FormDialog(self, "Adopt a new version", f"Adopt {path} as the new version of the agreement this "
                            "vault works under. Another agreement is refused. The change is audited.",
                            "&Adopt this version", submit)
        dialog.reason = dialog.add("reason", "&Why", LineBox(), "For example, agreed at the 13.4 review")
        self._run(dialog, lambda: f"Adopted version {dialog.result.version_text} of {dialog.result.short_name}.",
                  "adopt_file", path=str(path))

    def raise_dispute(self) -> None:
        def submit(d):
            d.result = core.raise_dispute(self.session.vault, {
                "partner": d.partner.currentData() or "", "raised_by": d.raised_by.currentData() or "",
                "about": d.about.value(), "raised_on": d.raised.text()})

        partners = [("", "Choose")] + [(p.code, p.name) for p in load_agreement().partners
                                       if p.code != self.session.vault.agency]
        dialog = FormDialog(self, "Record a dispute", "A dispute affecting the ability to share information "
                            f"(13.3). Its clock is {core.dispute_clock_words()}.", "&Record the dispute", submit)
        dialog.partner = dialog.add("partner", "&With which partner", _combo(partners))
        dialog.raised_by = dialog.add("raised_by", "Raised &by", _combo([("", "Choose"),
                                                                         *core.DISPUTE_RAISED_BY.items()]))
        dialog.about = dialog.add("about", "What it is &about", TextBox(3), "No personal data: say what the "
                                  "disagreement is, not who it concerns")
        dialog.raised = dialog.add("raised_on", "&Date raised", DateField(), "Day/month/year")
        self._run(dialog, lambda: f"Recorded {dialog.result.reference}; due {uk_date(dialog.result.due_on)}.",
                  "raise_dispute")

    def add_step(self) -> None:
        dispute = self.selected_dispute()
        if dispute is None:
            return

        def submit(d):
            core.add_dispute_step(self.session.vault, dispute.reference, {"text": d.text.value(),
                                                                          "on_date": d.on.text() or None})

        dialog = FormDialog(self, f"Add a step to {dispute.reference}", "What was done to resolve the dispute.",
                            "&Add the step", submit)
        dialog.text = dialog.add("text", "&What was done", TextBox(3))
        dialog.on = dialog.add("on_date", "&Date", DateField(), "Day/month/year; blank for today")
        self._run(dialog, f"Added a step to {dispute.reference}.", "add_step", dispute=dispute.reference)

    def close_dispute(self) -> None:
        dispute = self.selected_dispute()
        if dispute is None:
            return

        def submit(d):
            core.close_dispute(self.session.vault, dispute.reference, d.outcome.currentData() or "",
                               {"note": d.note.value(), "closed_on": d.on.text() or None})

        dialog = FormDialog(self, f"Resolve or escalate {dispute.reference}", "How the dispute ended.",
                            "&Save", submit)
        dialog.outcome = dialog.add("outcome", "&Outcome", _combo([("", "Choose"), *core.DISPUTE_OUTCOMES.items()]))
        dialog.note = dialog.add("note", "&How it was resolved, or to whom it was escalated", TextBox(3))
        dialog.on = dialog.add("closed_on", "&Date", DateField(), "Day/month/year; blank for today")
        self._run(dialog, f"{dispute.reference} is closed.", "close_dispute", dispute=dispute.reference)

    def compliance_ref(self) -> str:
        return f"{self.date_from.text().strip()}..{self.date_to.text().strip()}" + (
            f"/{self.partner.currentData()}" if self.partner.currentData() else "")

    def preview_compliance(self):
        from app.compliance import parse_scope

        try:
            scope = parse_scope(self.session.vault, self.compliance_ref())
        except SpocError as exc:
            self.status.setText(error_text(exc, "The report was not made."))
            return None
        return self._preview("compliance", scope_ref(scope.start, scope.end, scope.partner))

    def _preview(self, kind: str, ref: str):
        from ui.kit.preview import show_report

        self.status.setText("")
        self.busy = show_report(self, self.session, kind, ref)
        return self.busy

    def make_return(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Where to save the compliance return")
        if folder:
            self.make_return_in(self.partner.currentData() or "", folder)

    def make_return_in(self, partner: str, folder) -> None:
        from app.reconcile import make_return

        if not partner:
            self.status.setText("Choose the partner the return is for (Partner, above).")
            return
        try:
            path = make_return(self.session.vault, partner, folder)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The return was not made."))
            return
        announce(self.status, f"Compliance return written: {path}. Send it to the partner by secure e-mail.")

    def import_return(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "A partner's compliance return", "",
                                                        "SPOC Desk packages (*.spocpkg)")
        if path:
            self.import_return_file(path)

    def import_return_file(self, path) -> None:
        from app.reconcile import import_return

        try:
            result = import_return(self.session.vault, path)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The return was not imported."))
            return
        lines = [result.line] + [f"• {m['what']}: {m['id']} — {m['detail']}" for m in result.mismatches[:20]]
        self.changed.emit()
        announce(self.status, "\n".join(lines))


def _dispute_text(dispute) -> str:
    who = "This desk raised it" if dispute.raised_by == "us" else "The partner raised it"
    lines = [f"{dispute.reference} with {dispute.partner_name}: {who} on {uk_date(dispute.raised_on)}.",
             f"About: {dispute.about}"]
    lines += [f"• {uk_date(step.on_date)}: {step.text} ({step.recorded_by})" for step in dispute.steps]
    if not dispute.steps:
        lines.append("No steps recorded yet.")
    return "\n".join(lines)


# What a governance dialog a lock closed was for, and the permission it needs to open again.
REOPEN_ACTIONS = {"record_signatory": "governance.manage", "adopt_file": "governance.manage",
                  "raise_dispute": "disputes.manage", "add_step": "disputes.manage", "close_dispute": "disputes.manage"}


def reopen_dialog(main, session, payload: dict):
    """After an unlock: the governance dialog a lock closed, over the Governance area, for the same
    dispute or agreement file (ui/shell/shell.py DIALOG_DRAFTS); None if that cannot be done now."""
    from pathlib import Path

    context = payload.get("context") if isinstance(payload, dict) else None
    area = main.area("governance")
    action = context.get("action") if isinstance(context, dict) else None
    if area is None or action not in REOPEN_ACTIONS or not session.can(REOPEN_ACTIONS[action]):
        return None
    main.show_area("governance")
    area.refresh()   # shown already, showing it again would not
    area.dialog = None
    if action in ("add_step", "close_dispute"):
        if not area.select_dispute(str(context.get("dispute") or "")) or not area.selected_dispute().is_open:
            return None
        getattr(area, action)()
    elif action == "adopt_file":
        path = str(context.get("path") or "")
        if not path or not Path(path).is_file():
            return None
        area.adopt_file(path)
    else:
        getattr(area, action)()
    return area.dialog


reopen_dialog.takes_draft = True
