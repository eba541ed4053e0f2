"""Corrections on a record (clause 7.2): the "Corrected by HMRC on 03/12/2026: date of birth" notes a
record shows, the button that flags it as inaccurate (anyone who reads it) or, on the item's data
controller, corrects it; and the two dialogs. Shared by the areas that show records (subjects,
requests) and the corrections area; every rule is in app.corrections."""

from __future__ import annotations

from app import corrections as cr
from app.agreement import load_agreement
from ui.kit.dialogs import FormDialog, open_then
from ui.kit.fields import TextBox
from ui.kit.formatting import plural
from ui.kit.forms import combo
from ui.kit.widgets import announce, hint_label, plain_label
from ui.qt import QtWidgets, Signal
from ui.kit import theme

NOTE_STYLE = "color: {notice-text}; background: {notice}; padding: 2px 6px; font-weight: bold;"


def _fields(item_type: str):
    return [("", "Choose…"), *cr.FIELDS[item_type].items()]


def _value_text(item_type: str, name: str, value) -> str:
    """A value as the user edits it: a date as dd/mm/yyyy, a list one entry a line."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return cr.show_value(item_type, name, value) if name == "date_of_birth" else str(value)


def flag_dialog(parent, session, item_type: str, item_id: str, field_name: str = "") -> FormDialog:
    """Say an item is inaccurate, out of date or inadequate, and what is wrong."""
    vault = session.vault
    item = cr.get_item(vault, item_type, item_id)
    who = load_agreement().partner_name(item.controller)
    if item.controller == vault.agency:
        intro = "This desk is the data controller of this information: the flag waits in the corrections area " \
                "for its correction."
    else:
        intro = (f"{who} provided this information and is its data controller (clause 7.2): the flag becomes a "
                 f"correction notice, sealed for {who}'s desk from the corrections area.")

    def submit(d):
        d.notice = cr.flag(vault, {"item_type": item_type, "item_id": item_id, "field": d.field.currentData(),
                                   "problem": d.problem.currentData(), "details": d.details.value(),
                                   "suggested": d.suggested.value()})

    dialog = FormDialog(parent, "Flag as inaccurate", intro, "&Flag it", submit)
    dialog.notice = None
    dialog.field = dialog.add("field", "&What is wrong", combo(_fields(item_type), "What is wrong"))
    if field_name:
        dialog.field.setCurrentIndex(max(0, dialog.field.findData(field_name)))
    dialog.problem = dialog.add("problem", "&Problem", combo([("", "Choose…"), *cr.PROBLEMS.items()], "Problem"))
    dialog.details = dialog.add("details", "&Details", TextBox(3), "What is wrong and how you know")
    dialog.suggested = dialog.add("suggested", "&Correct value, if known", TextBox(2),
                                  "Only the data controller changes the record")
    return dialog


def correct_dialog(parent, session, item_type: str, item_id: str, *, field_name: str = "",
                   notice=None) -> FormDialog:
    """The data controller records the correction: the old value is kept for the audit."""
    vault = session.vault
    item = cr.get_item(vault, item_type, item_id)

    def submit(d):
        d.correction = cr.record_correction(vault, {
            "item_type": item_type, "item_id": item_id, "field": d.field.currentData(),
            "new_value": d.new_value.value(), "reason": d.reason.value(),
            "notice_id": notice.id if notice is not None else None})

    intro = ("The new value becomes current; the old one is kept in the corrections register for the audit, never "
             "shown as current. Every partner the disclosure register says received it gets a correction package.")
    if notice is not None:
        intro = (f"{notice.reference}: {cr.PROBLEMS.get(notice.problem, notice.problem)} — {notice.details}"
                 + (f"\nSuggested: {notice.suggested}" if notice.suggested else "") + "\n\n" + intro)
    dialog = FormDialog(parent, "Record a correction", intro, "&Record correction", submit)
    dialog.correction = None
    dialog.field = dialog.add("field", "&Field", combo(_fields(item_type), "Field"))
    dialog.current = plain_label("")
    dialog.current.setAccessibleName("Current value")
    dialog._fields.addWidget(dialog.current)  # between the field and its new value
    dialog.new_value = dialog.add("new_value", "&Corrected value", TextBox(3),
                                  "A date as day/month/year; a list one entry a line")
    dialog.reason = dialog.add("reason", "&Why it is corrected", TextBox(2), "Kept on the corrections register")

    def chosen(_index=0):
        name = dialog.field.currentData()
        if name:
            value = item.values.get(name)
            dialog.current.setText(f"Current value: {cr.show_value(item_type, name, value)}")
            dialog.new_value.set_value(_value_text(item_type, name, value))
        else:
            dialog.current.setText("")

    dialog.field.currentIndexChanged.connect(chosen)
    if field_name:
        dialog.field.setCurrentIndex(max(0, dialog.field.findData(field_name)))
        dialog.field.setEnabled(notice is None)
    return dialog


class CorrectionStrip(QtWidgets.QWidget):
    """Under a record: its correction notes and the Flag (or Correct) button. `changed` is
    emitted after a flag or correction is saved. The dialog it opens is `self.dialog`."""

    changed = Signal(str)  # what was done, in words

    def __init__(self, session, item_type: str, item_id: str, parent=None):
        super().__init__(parent)
        self.session, self.item_type, self.item_id = session, item_type, item_id
        self.dialog: FormDialog | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        vault = session.vault
        self.notes_box = QtWidgets.QVBoxLayout()
        self.notes: list[QtWidgets.QLabel] = []
        layout.addLayout(self.notes_box)
        self._show_notes()
        item = cr.get_item(vault, item_type, item_id)
        row = QtWidgets.QHBoxLayout()
        self.is_controller = item.controller == vault.agency
        self.correct_button = QtWidgets.QPushButton("Co&rrect…")
        self.correct_button.setAccessibleName(f"Correct this {item_type}")
        self.correct_button.clicked.connect(self.correct)
        self.correct_button.setVisible(self.is_controller and session.can("corrections.record"))
        self.flag_button = QtWidgets.QPushButton("Flag as &inaccurate…")
        self.flag_button.setAccessibleName(f"Flag this {item_type} as inaccurate")
        self.flag_button.clicked.connect(self.flag)
        self.flag_button.setVisible(session.can("corrections.flag"))
        row.addWidget(self.flag_button)
        row.addWidget(self.correct_button)
        self.said = hint_label("")
        row.addWidget(self.said, 1)
        layout.addLayout(row)

    def _show_notes(self) -> None:
        for note in self.notes:
            note.hide()
            note.deleteLater()
        self.notes = [plain_label(text) for text in cr.notes_for(self.session.vault, self.item_type, self.item_id)]
        for note in self.notes:
            theme.style(note, NOTE_STYLE)
            note.setAccessibleName("Correction")
            self.notes_box.addWidget(note)
            note.show()

    def refresh(self) -> None:
        """Show the record's corrections again (after a correction here or one applied)."""
        self._show_notes()

    def _done(self, words: str) -> None:
        self._show_notes()
        announce(self.said, words)   # focus on what happened
        self.changed.emit(words)

    def flag(self) -> FormDialog:
        """Open the flag dialog without blocking; once saved, the notes show it and it is said."""
        self.dialog = flag_dialog(self, self.session, self.item_type, self.item_id)
        _keep_over_lock(self.dialog, "flag", self.item_type, self.item_id)
        dialog = self.dialog
        return open_then(dialog, self, lambda: dialog.notice is not None and self._done(
            flagged_words(dialog.notice, self.session.vault.agency)))

    def correct(self) -> FormDialog:
        """Open the correction dialog without blocking; once saved, the notes show it and it is said."""
        self.dialog = correct_dialog(self, self.session, self.item_type, self.item_id)
        _keep_over_lock(self.dialog, "correct", self.item_type, self.item_id)
        dialog = self.dialog
        return open_then(dialog, self, lambda: dialog.correction is not None and self._done(
            corrected_words(dialog.correction)))


def flagged_words(notice, agency: str) -> str:
    where = "to correct here" if notice.controller == agency else \
        f"for {notice.controller}; make its package in Corrections"
    return f"Flagged as {notice.reference} ({where})."


def corrected_words(correction) -> str:
    return (f"Corrected as {correction.reference}; "
            f"{plural(len(correction.recipients), 'recipient')} to send it to (see Corrections).")


def _keep_over_lock(dialog: FormDialog, action: str, item_type: str, item_id: str) -> None:
    dialog.keep_over_lock("correction_strip_dialog", {"action": action, "item_type": item_type, "item_id": item_id})


def reopen_dialog(main, session, payload: dict):
    """After an unlock: the flag or correction dialog a lock closed, for the same record, over the
    main window (the record's page is not open now: what was done is said in a message); None if
    the record has gone or this user may no longer do it (ui/shell/shell.py DIALOG_DRAFTS)."""
    from app.errors import SpocError
    from ui.kit.dialogs import info_box

    context = payload.get("context") if isinstance(payload, dict) else None
    if not isinstance(context, dict):
        return None
    action, item_type, item_id = context.get("action"), context.get("item_type"), context.get("item_id")
    if item_type not in cr.FIELDS or not isinstance(item_id, str) or not item_id:
        return None
    try:
        if action == "flag" and session.can("corrections.flag"):
            dialog = flag_dialog(main, session, item_type, item_id)
            title, said = "Flagged as inaccurate", lambda: flagged_words(dialog.notice, session.vault.agency)
        elif action == "correct" and session.can("corrections.record") \
                and cr.get_item(session.vault, item_type, item_id).controller == session.vault.agency:
            dialog = correct_dialog(main, session, item_type, item_id)
            title, said = "Correction recorded", lambda: corrected_words(dialog.correction)
        else:
            return None
    except (SpocError, KeyError):
        return None
    _keep_over_lock(dialog, action, item_type, item_id)

    def saved() -> None:
        if getattr(dialog, "notice", None) is not None or getattr(dialog, "correction", None) is not None:
            dialog.told = info_box(main, title, said())   # tests read it here
            dialog.told.open()

    return open_then(dialog, main, saved)


reopen_dialog.takes_draft = True
