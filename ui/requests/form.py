"""The request form (Appendix 2, Modern Slavery Personal Data Request), one column, in the
form's order: reference, request date, person making the request, reason, the information check
request (information date, information, what partners are asked), subjects, agencies, the
partnership-working question, exploitation types (1.4), purposes (4.3), information sought (5.2)
and the declaration.

The rules live in app.requests and app.subjects: this form collects what was typed, asks
`validate_request` / `validate_subject` for problems, shows them in an error summary whose links
move focus, and under each field. Every user text is shown as plain text. `state()` and
`set_state()` carry every input (JSON-serialisable) so a half-filled form survives a lock.
The subjects part (the list, its inline panel, the finder) is ui/requests/subjects.py.
"""

from __future__ import annotations

import datetime as _dt

from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid, Problem, today_london
from app.requests import LABELS, agencies_to_ask, save_request, validate_request
from app.subjects import check_role, validate_subject
from ui.qt import QtGui, QtWidgets, Qt, Signal
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text
from ui.kit.fields import CheckList, DateField, LineBox, TextBox
from ui.kit.formatting import uk_time
from ui.kit.widgets import ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, plain_label
from ui.requests.subjects import SubjectEditor, subject_fields_of

# ---- small building blocks -------------------------------------------------------------------


def section(layout: QtWidgets.QVBoxLayout, title: str, hint: str = "") -> None:
    layout.addSpacing(14)
    layout.addWidget(heading(title, 2))
    if hint:
        layout.addWidget(hint_label(hint))


# ---- agencies --------------------------------------------------------------------------------


class AgencyChooser(QtWidgets.QWidget):
    """The agreement's partners and their sub-services, to tick; suspended partners (13.2) are
    shown but cannot be ticked; an agency the request was already sent to stays ticked."""

    changed = Signal()

    def __init__(self, vault, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        agreement = load_agreement()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Agencies to ask")
        self.tree.setUniformRowHeights(True)
        self.tree.setMinimumHeight(260)
        self.items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self.suspended: dict[str, str] = {}
        self._sent: set[str] = set()
        for choice in agencies_to_ask(vault):   # the core says who may be asked (13.2), and why not
            partner = agreement.partner(choice.code)
            text = f"{choice.name} ({choice.code})"
            if not choice.may_ask:
                text += f" — {choice.why_not}"
                self.suspended[choice.code] = choice.suspension_reason
            top = QtWidgets.QTreeWidgetItem([text])
            top.setData(0, Qt.ItemDataRole.UserRole, choice.code)
            self._checkable(top, choice.may_ask)
            self.tree.addTopLevelItem(top)
            self.items[choice.code] = top
            for sub in partner.sub_services:
                label = sub.name + (" — the usual team for requests" if sub.spoc else "")
                child = QtWidgets.QTreeWidgetItem([label])
                target = f"{partner.code}/{sub.code}"
                child.setData(0, Qt.ItemDataRole.UserRole, target)
                self._checkable(child, choice.may_ask)
                top.addChild(child)
                self.items[target] = child
        self.tree.itemChanged.connect(lambda _i, _c: self.changed.emit())
        layout.addWidget(self.tree)
        self.setFocusProxy(self.tree)

    @staticmethod
    def _checkable(item: QtWidgets.QTreeWidgetItem, enabled: bool) -> None:
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
        if enabled:
            flags |= Qt.ItemFlag.ItemIsEnabled
        item.setFlags(flags)
        item.setCheckState(0, Qt.CheckState.Unchecked)

    def values(self) -> list[str]:
        return [target for target, item in self.items.items()
                if item.checkState(0) == Qt.CheckState.Checked]

    def set_values(self, targets, sent=()) -> None:
        wanted, self._sent = set(targets or ()), set(sent or ())
        self.tree.blockSignals(True)
        for target, item in self.items.items():
            item.setCheckState(0, Qt.CheckState.Checked if target in wanted else Qt.CheckState.Unchecked)
            if target in self._sent:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                if "already sent" not in item.text(0):
                    item.setText(0, item.text(0) + " — already sent")
            if target in wanted and "/" in target:
                self.items[target.split("/")[0]].setExpanded(True)
        self.tree.blockSignals(False)
        self.changed.emit()

    def check(self, target: str, value: bool = True) -> None:
        self.items[target].setCheckState(0, Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)


# ---- the form --------------------------------------------------------------------------------


class RequestForm(QtWidgets.QWidget):
    """Appendix 2 as a form. `saved(Request)` after a successful save; `cancelled()`."""

    saved = Signal(object)
    cancelled = Signal()

    TEXT_FIELDS = ("requester_name", "requester_rank", "requester_number", "requester_team")

    def __init__(self, session, request=None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.request = None
        agreement = load_agreement()
        form = agreement.request_form
        declaration = agreement.declaration

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = frameless_scroll()
        outer.addWidget(self.scroll)
        content = QtWidgets.QWidget()
        self.scroll.setWidget(content)
        centre = QtWidgets.QHBoxLayout(content)
        centre.setContentsMargins(24, 16, 24, 24)
        column = QtWidgets.QWidget()
        column.setMaximumWidth(760)
        centre.addWidget(column, 1)
        centre.addStretch(0)
        layout = QtWidgets.QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.back_button = QtWidgets.QPushButton("← Back without saving")
        self.back_button.setFlat(True)
        self.back_button.setStyleSheet("text-align: left; color: #1d70b8; text-decoration: underline;")
        self.back_button.clicked.connect(self.cancel)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.title = heading(form.title)
        layout.addWidget(self.title)
        layout.addWidget(hint_label(f"{form.operation}. {declaration.motto}"))
        self.details_button = QtWidgets.QToolButton()
        self.details_button.setText("▸ The powers this request is made under")
        self.details_button.setCheckable(True)
        self.details_button.setStyleSheet("QToolButton { border: none; color: #1d70b8; text-decoration: underline; }")
        self.preamble = plain_label(declaration.legal_preamble)
        self.preamble.setStyleSheet("border-left: 4px solid #b1b4b6; padding-left: 12px; color: #0b0c0c;")
        self.preamble.hide()
        self.details_button.toggled.connect(self._toggle_preamble)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.preamble)

        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.rows: dict[str, FieldRow] = {}

        def row(key: str, widget: QtWidgets.QWidget, hint: str = "", label: str | None = None) -> FieldRow:
            field_row = FieldRow(label or LABELS.get(key, key), widget, hint)
            self.rows[key] = field_row
            layout.addWidget(field_row)
            return field_row

        section(layout, "Reference")
        self.reference = plain_label("Given when you first save, for example MSR-2026-0001.", selectable=True)
        self.reference.setAccessibleName("Reference")
        layout.addWidget(self.reference)

        section(layout, "Request date")
        self.request_date = DateField(latest=today_london)
        row("request_date", self.request_date, "For example, 27/03/2026. Today's date unless the request was made earlier.")

        section(layout, "Person making the request")
        self.requester_name = LineBox(max_length=20_000)
        self.requester_rank = LineBox(max_length=20_000)
        self.requester_number = LineBox(max_length=20_000)
        self.requester_team = LineBox(max_length=20_000)
        row("requester_name", self.requester_name, "The officer or member of staff partners should answer to.",
            label="Name")
        row("requester_rank", self.requester_rank, "For example, Detective Sergeant.")
        row("requester_number", self.requester_number)
        row("requester_team", self.requester_team, "For example, “Op Wilberforce” Modern Day Slavery and "
                                                   "Human Trafficking Team.")
        self.requester_contact = TextBox(3)
        row("requester_contact", self.requester_contact,
            "Telephone, mobile and secure e-mail (for example …@derbyshire.pnn.police.uk).")

        section(layout, "Reason", "Under the Modern Slavery Information Sharing Agreement:")
        self.reasons = CheckList([(r.id, r.text, "", 0) for r in agreement.request_reasons])
        row("reasons", self.reasons, "Choose all that apply.", label="Reason for the request")

        section(layout, "Information check request")
        self.information_date = DateField(latest=today_london)
        row("information_date", self.information_date, "When the information was received, for example 27/03/2026.")
        self.information = TextBox(6)
        row("information", self.information, "The intelligence behind the request, as plain text.")
        self.check_request = TextBox(4)
        row("check_request", self.check_request, "What partners are asked to check or provide.",
            label="Request")

        section(layout, "Subjects", "The people, locations and businesses partners are asked about. "
                                    "A request needs at least one before it can be sent.")
        self.subjects = SubjectEditor(session.vault if session.can("search") else None)
        self.rows["subjects"] = None  # the editor shows its own message
        layout.addWidget(self.subjects)

        section(layout, "Agencies", "Which partners to ask (section 3). Nothing is sent until you choose "
                                    "“Send to agencies…” on the saved request.")
        self.agencies = AgencyChooser(session.vault)
        row("agencies", self.agencies, label="Agencies to ask")

        section(layout, "Partnership working")
        self.partnership_question = TextBox(3)
        self.partnership_question.set_value(form.partnership_working_prompt)
        row("partnership_question", self.partnership_question,
            "The question partners answer about working with you; change it if you need to.",
            label="Partnership working question")

        section(layout, "About the request", "From the agreement: these help partners judge the request.")
        self.exploitation_types = CheckList(
            [(e.id, e.name, e.description, 0) for e in agreement.exploitation_types])
        row("exploitation_types", self.exploitation_types, "Section 1.4. Choose all that apply.")
        purposes = []
        for purpose in agreement.purposes:
            purposes.append((purpose.id, purpose.text, "", 0))
            purposes.extend((item.id, item.text, "", 1) for item in purpose.items)
        self.purposes = CheckList(purposes)
        row("purposes", self.purposes, "Section 4.3. At least one is needed before sending.")
        self.info_types = CheckList([(i.id, i.text, "", 0) for i in agreement.information_types])
        row("info_types", self.info_types, "Section 5.2: what the information is needed to do. "
                                           "At least one is needed before sending.")

        section(layout, "Declaration")
        self.declaration = CheckList([(c.id, c.text, "", 0) for c in declaration.confirmations])
        row("declaration", self.declaration,
            "Tick every statement before sending. Who ticked them and when is recorded when you save.",
            label="I confirm that")
        self.declared = hint_label("")
        self.declared.hide()
        layout.addWidget(self.declared)
        for text in (declaration.subject_warning, declaration.onward_requests, declaration.retain_line):
            if text:
                layout.addWidget(hint_label(text))

        layout.addSpacing(16)
        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save as draft")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.setDefault(True)
        self.save_button.setStyleSheet("QPushButton { background: #00703c; color: #ffffff; padding: 6px 14px; "
                                       "font-weight: bold; }")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self._clear_on_change()
        if request is not None:
            self.load(request)
        else:
            self.request_date.set_date(_dt.date.today())
            self.setWindowTitle("New request")
        self._baseline = self.state()
        escape = QtGui.QShortcut(QtGui.QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.cancel)

    def _toggle_preamble(self, shown: bool) -> None:
        self.preamble.setVisible(shown)
        self.details_button.setText(("▾ " if shown else "▸ ") + "The powers this request is made under")

    def _clear_on_change(self) -> None:
        for key, widget in (("request_date", self.request_date), ("information_date", self.information_date)):
            widget.changed.connect(lambda k=key: self.rows[k].set_error(None))
        for key in self.TEXT_FIELDS:
            getattr(self, key).textChanged.connect(lambda _t, k=key: self.rows[k].set_error(None))
        for key in ("requester_contact", "information", "check_request", "partnership_question"):
            getattr(self, key).textChanged.connect(lambda k=key: self.rows[k].set_error(None))
        for key in ("reasons", "exploitation_types", "purposes", "info_types", "declaration", "agencies"):
            getattr(self, key).changed.connect(lambda k=key: self.rows[k].set_error(None))
        self.subjects.changed.connect(lambda: self.subjects.set_error(None))

    # ---- loading and state -----------------------------------------------------------------

    @property
    def request_id(self) -> str | None:
        return self.request.id if self.request is not None else None

    def load(self, request) -> None:
        self.request = request
        self.reference.setText(request.reference)
        self.title.setText(f"{load_agreement().request_form.title}: {request.reference}")
        self.setWindowTitle(f"Change {request.reference}")
        self.back_button.setText("← Back to the request without saving")
        self.request_date.set_date(request.request_date)
        for key in self.TEXT_FIELDS:
            getattr(self, key).setText(getattr(request, key))
        self.requester_contact.set_value(request.requester_contact)
        self.reasons.set_values(request.reasons)
        self.information_date.set_date(request.information_date)
        self.information.set_value(request.information)
        self.check_request.set_value(request.check_request)
        self.subjects.set_entries([{"subject_id": s.id, "role": s.role or "unknown",
                                    "subject": subject_fields_of(s)} for s in request.subjects])
        self.agencies.set_values([d.target for d in request.dispatches],
                                 sent=[d.target for d in request.dispatches if d.status != "draft"])
        self.partnership_question.set_value(request.partnership_question)
        self.exploitation_types.set_values(request.exploitation_types)
        self.purposes.set_values(request.purposes)
        self.info_types.set_values(request.info_types)
        self.declaration.set_values(request.declaration)
        if request.declared_at:
            self.declared.setText(f"Confirmed by {request.declared_by} on {uk_time(request.declared_at)}.")
            self.declared.show()
        self._baseline = self.state()

    def fields(self) -> dict:
        """The request fields as app.requests expects them (dates as typed)."""
        data = {"request_date": self.request_date.text().strip(),
                "requester_contact": self.requester_contact.value(),
                "reasons": self.reasons.values(),
                "information_date": self.information_date.text().strip(),
                "information": self.information.value(),
                "check_request": self.check_request.value(),
                "partnership_question": self.partnership_question.value(),
                "exploitation_types": self.exploitation_types.values(),
                "purposes": self.purposes.values(),
                "info_types": self.info_types.values(),
                "declaration": self.declaration.values()}
        for key in self.TEXT_FIELDS:
            data[key] = getattr(self, key).text()
        return data

    def state(self) -> dict:
        """Every input, JSON-serialisable (for an encrypted draft)."""
        return {"request_id": self.request_id, **self.fields(),
                "subjects": [dict(e) for e in self.subjects.entries],
                "subject_panel": self.subjects.panel_state(),
                "subject_search": self.subjects.finder.state() if self.subjects.finder is not None else None,
                "agencies": self.agencies.values()}

    def set_state(self, state: dict) -> None:
        def text(key):
            value = state.get(key)
            return value if isinstance(value, str) else ""

        def codes(key):
            value = state.get(key)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        self.request_date.setText(text("request_date"))
        for key in self.TEXT_FIELDS:
            getattr(self, key).setText(text(key))
        for key in ("requester_contact", "information", "check_request", "partnership_question"):
            getattr(self, key).set_value(text(key))
        self.information_date.setText(text("information_date"))
        for key in ("reasons", "exploitation_types", "purposes", "info_types", "declaration"):
            getattr(self, key).set_values(codes(key))
        entries = [e for e in state.get("subjects") or [] if isinstance(e, dict) and isinstance(e.get("subject"), dict)]
        self.subjects.set_entries(entries)
        self.subjects.set_panel_state(state.get("subject_panel") if isinstance(state.get("subject_panel"), dict)
                                      else None)
        if self.subjects.finder is not None:
            self.subjects.finder.set_state(state.get("subject_search"))
        sent = [d.target for d in self.request.dispatches if d.status != "draft"] if self.request else []
        self.agencies.set_values([t for t in codes("agencies") if t in self.agencies.items] + sent, sent=sent)

    def has_unsaved_input(self) -> bool:
        return self.state() != self._baseline

    # ---- validation and saving -------------------------------------------------------------

    def _widget_for(self, field: str) -> QtWidgets.QWidget:
        if field.startswith("subjects"):
            return self.subjects
        row = self.rows.get(field)
        return row.field if row is not None else self.summary

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            if row is not None:
                row.set_error(None)
        self.subjects.set_error(None)
        found = []
        for problem in problems:
            field, text = problem.field, problem.message
            label = LABELS.get(field.split("[")[0].split(".")[0], "")
            if field.startswith("subjects"):
                self.subjects.set_error(text)
            elif self.rows.get(field) is not None:
                self.rows[field].set_error(text if text[:1].isupper() else f"{label} {text}")
            if not text[:1].isupper():   # the core's "is too long (…)" style: name the field
                text = f"{label} {text}"
            found.append((self._widget_for(field), text))
        self.summary.show_problems(found)
        if found:
            self.scroll.ensureWidgetVisible(self.summary)
            self.summary.setFocus()

    def validate(self) -> list[Problem]:
        problems, _clean = validate_request(self.fields())
        for index, entry in enumerate(self.subjects.entries):
            sub_problems, _ = validate_subject(entry.get("subject") or {}, f"subjects[{index}].")
            problems += sub_problems + check_role(entry.get("role", ""), f"subjects[{index}].role")
        if not self.subjects.panel.isHidden():
            problems.append(Problem("subjects", "Add or cancel the subject you are entering first"))
        self.show_problems(problems)
        return problems

    def save(self):
        """Save as a draft; returns the Request, or None when something stopped it."""
        if self.validate():
            return None
        try:
            request, subject_ids = save_request(self.session.vault, self.request.id if self.request else None,
                                                self.fields(), self.subjects.entries, self.agencies.values())
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([Problem("", error_text(exc, "The request was not saved."))])
            return None
        for entry, subject_id in zip(self.subjects.entries, subject_ids):
            entry["subject_id"] = subject_id
        self.request = request
        self._baseline = self.state()
        self.saved.emit(request)
        return request

    def cancel(self):
        """Back without saving, Cancel or Escape: asks "Discard changes?" first when anything was
        typed (ui/kit/guard.py); returns the open question, or None when the form closed."""
        from ui.kit.guard import ask_discard

        return ask_discard(self, self.has_unsaved_input, self.cancelled.emit)

    def has_unsaved_changes(self) -> bool:
        return self.has_unsaved_input()
