"""Chase an answer that is overdue (clause 2.6): how (the sealed package re-sent, a telephone
call — an entry in the telephone log —, or an e-mail), to whom, when and the new date promised.
"Package re-sent" is offered only where the partner's desk card is trusted, and asks for the
folder the package is made in. The rules are app.chasing."""

from __future__ import annotations

from app import chasing
from ui.kit.dialogs import FormDialog
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.formatting import documents_folder, uk_date, uk_time
from ui.kit.forms import combo
from ui.qt import Signal

TELEPHONE_FIELDS = ("via", "identity_check")


class ChaseDialog(FormDialog):
    chased = Signal(object, list)  # Chase, the packages made

    def __init__(self, session, request, dispatch, parent=None):
        self.session, self.request, self.dispatch = session, request, dispatch
        self.result = None
        self.package_problem = chasing.package_possible(session.vault, dispatch.agency)
        earlier = chasing.chases_of(session.vault, dispatch.id)
        intro = (f"Record how you chased {dispatch.agency_name} for the answer to {request.reference}, due "
                 f"{uk_date(dispatch.due_date)}. The date they promise becomes the new due date; the old one is kept "
                 "with the chase.")
        if earlier:
            intro += (f" Chased {len(earlier)} time{'s' if len(earlier) != 1 else ''} before: if the promised date "
                      "passes again the answer is flagged for the lead officer.")
        super().__init__(parent, f"Chase {dispatch.agency_name}", intro, "Record the chase", self._save)
        items = [(key, text) for key, text in chasing.HOW_TITLES.items()]
        self.how = self.add("how", "How you chased", combo((("", "Choose"), *items), "How you chased"))
        if self.package_problem:
            index = self.how.findData("package")
            self.how.model().item(index).setEnabled(False)
            self.how.setItemText(index, "Package re-sent (not possible: the partner's desk card is not trusted)")
        self.to_whom = self.add("to_whom", "Who you chased", LineBox(), "A name, a role or a team")
        self.at = self.add("at", "When (optional)", LineBox(), "dd/mm/yyyy HH:MM in UK time; leave blank for now")
        self.at.setPlaceholderText("dd/mm/yyyy HH:MM")
        self.promised = self.add("promised_date", "New date promised", DateField(), "For example, 27/03/2026")
        self.via = self.add("via", "Number the call went through", LineBox(),
                            "The agency switchboard or recognised contact details (9.5)")
        self.identity_check = self.add("identity_check", "How you checked who you spoke to", LineBox())
        self.folder = self.add("out_dir", "Folder for the package", LineBox(), "The package is made here, to attach "
                               "to a secure e-mail")
        self.folder.set_value(str(documents_folder()))
        self.note = self.add("note", "Note (optional)", TextBox(3))
        self.how.currentIndexChanged.connect(lambda _i: self._show_fields())
        self._show_fields()

    def _show_fields(self) -> None:
        how = self.how.currentData()
        for key in TELEPHONE_FIELDS:
            self.rows[key].setVisible(how == "telephone")
        self.rows["out_dir"].setVisible(how == "package")

    def data(self) -> dict:
        data = {"how": self.how.currentData() or "", "to_whom": self.to_whom.value(), "at": self.at.value(),
                "promised_date": self.promised.text().strip(), "note": self.note.value()}
        if data["how"] == "telephone":
            data.update(via=self.via.value(), identity_check=self.identity_check.value())
        return data

    def _save(self, _dialog) -> None:
        out_dir = self.folder.value() if self.how.currentData() == "package" else None
        chase, made = chasing.record_chase(self.session.vault, self.dispatch.id, self.data(), out_dir=out_dir)
        self.result = chase
        self.chased.emit(chase, made)


def chase_lines(chases) -> str:
    """The chases of one dispatch, oldest first, as plain lines."""
    lines = []
    for n, c in enumerate(chases, start=1):
        line = (f"{n}. {uk_time(c.at)}, {c.how_text.split(' (')[0].lower()}, to {c.to_whom}; new date promised "
                f"{uk_date(c.promised_date)}" + (f" (was due {uk_date(c.previous_due)})" if c.previous_due else "")
                + f". Recorded by {c.recorded_by}.")
        if c.note:
            line += f"\n   {c.note}"
        lines.append(line)
    return "\n".join(lines)

