"""Corrections (clause 7.2): what is outstanding by age, the register of notices (raised here or
received from a partner) and of corrections (made here, or applied from their data controller)
with each recipient's state; recording a correction for a notice, declining one, sealing the
notice for the data controller's desk and the correction for every recipient; printing the
register marked. Every rule is in app.corrections; this only shows and asks."""

from __future__ import annotations

from pathlib import Path

from app import corrections as cr
from app.agreement import load_agreement
from app.errors import SpocError
from ui.kit.correction_flag import correct_dialog
from ui.kit.dialogs import FormDialog, error_text, open_then
from ui.kit.fields import TextBox
from ui.kit.formatting import documents_folder, one_line, plural, uk_time
from ui.kit.forms import fill, selected_key, table
from ui.kit.widgets import Area, announce, bold_label, frameless_scroll, heading, hint_label, plain_label
from ui.qt import QtWidgets
from ui.kit import theme

OUTSTANDING_COLUMNS = ("Reference", "What waits", "Since", "Age")
NOTICE_COLUMNS = ("Reference", "Raised by", "Data controller", "Item", "Problem", "What is wrong", "Raised", "State")
CORRECTION_COLUMNS = ("Reference", "Data controller", "Item", "Old value (not current)", "New value", "Corrected",
                      "Recipients")


def _agency(code: str) -> str:
    return load_agreement().partner_name(code)


class CorrectionsArea(Area):
    key = "corrections"
    title = "Corrections"
    permission = "corrections.read"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.dialog: QtWidgets.QDialog | None = None
        self.found: cr.Register = cr.Register()
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        outer.addWidget(scroll)
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        layout = QtWidgets.QVBoxLayout(body)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(heading("Corrections"))
        layout.addWidget(hint_label(
            "Clause 7.2: information found to be inaccurate, out of date or inadequate is notified to its data "
            "controller (the desk it came from), who corrects it and tells every partner that received it. Flag "
            "a record from its page; notices, corrections and each recipient's state are here."))
        self.status = plain_label("")
        self.status.setAccessibleName("What happened")
        layout.addWidget(self.status)

        layout.addWidget(heading("Outstanding, oldest first", 2))
        self.counts = plain_label("")
        layout.addWidget(self.counts)
        self.outstanding = table(OUTSTANDING_COLUMNS, "Corrections outstanding")
        layout.addWidget(self.outstanding)

        folder_row = QtWidgets.QHBoxLayout()
        self.folder = QtWidgets.QLineEdit(str(documents_folder()))
        self.folder.setAccessibleName("Folder for the package files")
        label = bold_label("Package &folder")
        label.setBuddy(self.folder)
        choose = QtWidgets.QPushButton("C&hoose…")
        choose.clicked.connect(self._choose_folder)
        folder_row.addWidget(label)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        layout.addSpacing(8)
        layout.addLayout(folder_row)
        layout.addWidget(hint_label("Packages are sealed for each desk; attach them to a secure e-mail, then delete "
                                    "them. Each desk's signed receipt closes its line."))

        layout.addWidget(heading("Notices", 2))
        self.notices = table(NOTICE_COLUMNS, "Correction notices")
        self.notices.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.notices)
        row = QtWidgets.QHBoxLayout()
        self.correct_button = QtWidgets.QPushButton("&Record correction…")
        self.correct_button.clicked.connect(self.record_correction)
        self.decline_button = QtWidgets.QPushButton("&Decline…")
        self.decline_button.clicked.connect(self.decline)
        self.notice_package_button = QtWidgets.QPushButton("Make notice &package")
        self.notice_package_button.setToolTip("Seal the notice for its data controller's desk")
        self.notice_package_button.clicked.connect(self.make_notice_package)
        for button in (self.correct_button, self.decline_button, self.notice_package_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.notice_detail = plain_label("", selectable=True)
        self.notice_detail.setAccessibleName("The chosen notice")
        layout.addWidget(self.notice_detail)

        layout.addWidget(heading("Corrections", 2))
        self.corrections = table(CORRECTION_COLUMNS, "Corrections")
        self.corrections.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.corrections)
        row = QtWidgets.QHBoxLayout()
        self.packages_button = QtWidgets.QPushButton("Make correction pac&kages")
        self.packages_button.setToolTip("A sealed correction package for every recipient still to be sent one")
        self.packages_button.clicked.connect(self.make_correction_packages)
        self.print_button = QtWidgets.QPushButton("Print the re&gister…")
        self.print_button.clicked.connect(self.print_register)
        row.addWidget(self.packages_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.may_record = session.can("corrections.record")

    # ---- showing -------------------------------------------------------------------------

    def refresh(self) -> None:
        vault = self.session.vault
        self.found = cr.register(vault)
        waiting = cr.outstanding(vault)
        self.counts.setText(f"{plural(len(waiting), 'item')} outstanding: "
                            f"{plural(sum(1 for o in waiting if o.kind == 'notice'), 'notice')} not yet corrected, "
                            f"{plural(sum(1 for o in waiting if o.kind == 'recipient'), 'recipient')} not yet "
                            "confirmed by a receipt." if waiting else "Nothing is outstanding.")
        fill(self.outstanding, [(o.reference, o.what, uk_time(o.since), plural(o.age_days, "day"))
                                for o in waiting], [o.record_id for o in waiting], max_height=200)
        fill(self.notices, [(n.reference, n.raised_by_agency, n.controller,
                             f"{cr.ITEM_WORDS[n.item_type].capitalize()}: {n.field_words}",
                             cr.PROBLEMS.get(n.problem, n.problem), one_line(n.details), uk_time(n.raised_at),
                             n.state_words) for n in self.found.notices], [n.id for n in self.found.notices])
        rows = []
        for c in self.found.corrections:
            if c.direction == "made":
                lines = "\n".join(f"{r.agency}: {r.state_words}" for r in c.recipients) or \
                    "No recipient in the disclosure register"
            else:
                lines = f"Applied here from {c.controller}'s package, {uk_time(c.recorded_at)}"
            rows.append((c.reference, c.controller, f"{cr.ITEM_WORDS[c.item_type].capitalize()}: {c.field_words}",
                         one_line(cr.show_value(c.item_type, c.field, c.old_value)),
                         one_line(cr.show_value(c.item_type, c.field, c.new_value)), uk_time(c.corrected_at), lines))
        fill(self.corrections, rows, [c.id for c in self.found.corrections])
        # The long text columns wrap rather than push the table wider than the window.
        for view, column in ((self.outstanding, 1), (self.notices, 5), (self.notices, 7), (self.corrections, 3),
                             (self.corrections, 4)):
            view.setColumnWidth(column, min(view.columnWidth(column), 260))
        for view in (self.outstanding, self.notices, self.corrections):
            view.resizeRowsToContents()
            view.setMaximumHeight(view.minimumHeight())  # as tall as its rows (to a limit), no more
        self._update_buttons()

    def _notice(self) -> cr.Notice | None:
        key = selected_key(self.notices)
        return next((n for n in self.found.notices if n.id == key), None)

    def _correction(self) -> cr.Correction | None:
        key = selected_key(self.corrections)
        return next((c for c in self.found.corrections if c.id == key), None)

    def select_notice(self, reference: str) -> None:
        self._select(self.notices, reference)

    def select_correction(self, reference: str) -> None:
        self._select(self.corrections, reference)

    @staticmethod
    def _select(view, reference: str) -> None:
        for r in range(view.rowCount()):
            if view.item(r, 0).text() == reference:
                view.selectRow(r)
                return

    def _update_buttons(self) -> None:
        here = self.session.vault.agency
        notice = self._notice()
        is_open = notice is not None and notice.status not in ("corrected", "declined")
        self.correct_button.setEnabled(self.may_record and is_open and notice.controller == here)
        self.decline_button.setEnabled(self.may_record and is_open and notice.controller == here)
        self.notice_package_button.setEnabled(self.may_record and is_open and notice.controller != here
                                              and notice.raised_by_agency == here)
        if notice is None:
            self.notice_detail.setText("")
        else:
            lines = [f"{notice.reference}: {cr.PROBLEMS.get(notice.problem, notice.problem)} — "
                     f"{cr.ITEM_WORDS[notice.item_type]} {notice.field_words}", f"What is wrong: {notice.details}"]
            if notice.suggested:
                lines.append(f"Suggested: {notice.suggested}")
            if notice.decline_reason:
                lines.append(f"Declined: {notice.decline_reason}")
            self.notice_detail.setText("\n".join(lines))
        correction = self._correction()
        self.packages_button.setEnabled(self.may_record and correction is not None and correction.direction == "made"
                                        and any(r.state == "to-make" for r in correction.recipients))

    # ---- acting ----------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        found = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the package files", self.folder.text())
        if found:
            self.folder.setText(found)

    def _do(self, work, failed: str) -> object | None:
        try:
            result = work()
        except SpocError as exc:
            self.status.setText(error_text(exc, failed))
            theme.style(self.status, "color: {danger}; font-weight: bold;")
            return None
        theme.style(self.status, "")
        return result

    def record_correction(self) -> None:
        notice = self._notice()
        if notice is None:
            return
        try:
            dialog = correct_dialog(self, self.session, notice.item_type, notice.item_id, field_name=notice.field,
                                    notice=notice)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The record could not be opened."))
            return
        self.dialog = dialog
        dialog.keep_over_lock("corrections_dialog", {"action": "record_correction", "notice": notice.reference})

        def corrected() -> None:
            correction = dialog.correction
            if correction is None:
                return
            theme.style(self.status, "")
            self.refresh()
            self.select_correction(correction.reference)
            self.changed.emit()
            announce(self.status, f"Corrected as {correction.reference}; "
                                  f"{plural(len(correction.recipients), 'recipient')} to send it to: "
                                  f"{', '.join(r.agency for r in correction.recipients) or 'none'}.")

        open_then(dialog, self, corrected)

    def decline(self) -> None:
        notice = self._notice()
        if notice is None:
            return

        def submit(d):
            cr.decline_notice(self.session.vault, notice.id, d.reason.value())

        dialog = FormDialog(self, f"Decline {notice.reference}", "Say why the information needs no correction. "
                            f"Tell {_agency(notice.raised_by_agency)} by the usual channels.", "&Decline", submit)
        dialog.reason = dialog.add("reason", "&Why", TextBox(3))
        self.dialog = dialog
        dialog.keep_over_lock("corrections_dialog", {"action": "decline", "notice": notice.reference})

        def declined() -> None:
            theme.style(self.status, "")
            self.refresh()
            self.changed.emit()
            announce(self.status, f"{notice.reference} is declined.")

        open_then(dialog, self, declined)

    def make_notice_package(self) -> None:
        notice = self._notice()
        if notice is None:
            return
        made = self._do(lambda: cr.make_notice_package(self.session.vault, notice.id, Path(self.folder.text().strip())),
                        "No package was made.")
        if made is not None:
            self.refresh()
            announce(self.status, f"Notice package made: {made.file_name} for {_agency(made.agency)}"
                                  + (f" (secure e-mail: {made.email})" if made.email else "")
                                  + ". Attach it to a secure e-mail; its receipt marks it delivered.")

    def make_correction_packages(self) -> None:
        correction = self._correction()
        if correction is None:
            return
        made = self._do(lambda: cr.make_correction_packages(self.session.vault, correction.id,
                                                            Path(self.folder.text().strip())),
                        "No package was made.")
        if made is not None:
            said = (f"{plural(len(made), 'correction package')} made in {self.folder.text().strip()}: "
                    + "; ".join(f"{m.file_name} for {m.agency}" for m in made) + ". Each desk's receipt closes its line.")
            self.refresh()
            self.select_correction(correction.reference)
            announce(self.status, said)

    def print_register(self):
        from ui.kit.preview import show_report

        return show_report(self, self.session, "corrections", "all")


def reopen_dialog(main, session, payload: dict):
    """After an unlock: the correction or decline dialog a lock closed, for the same notice if it is
    still open (ui/shell/shell.py DIALOG_DRAFTS); None otherwise."""
    context = payload.get("context") if isinstance(payload, dict) else None
    area = main.area("corrections")
    action = context.get("action") if isinstance(context, dict) else None
    if area is None or action not in ("record_correction", "decline") or not area.may_record:
        return None
    main.show_area("corrections")
    area.refresh()   # shown already, showing it again would not
    area.select_notice(str(context.get("notice") or ""))
    notice = area._notice()
    if notice is None or notice.reference != context.get("notice") or not area.correct_button.isEnabled():
        return None
    area.dialog = None
    getattr(area, action)()
    return area.dialog


reopen_dialog.takes_draft = True
