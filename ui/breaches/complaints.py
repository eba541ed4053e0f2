"""The Complaints tab of the Breaches area (clause 10.1): open complaints with the Data Protection
Manager's clock (overdue first, said in words), one complaint's record and timeline, a form for
the DPM's updates (told, outcome, reply, note) and its marked report. Rules: app.complaints."""

from __future__ import annotations

from app import complaints as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from ui.kit.dialogs import error_text
from ui.kit.fields import LineBox, TextBox
from ui.kit.guard import ask_discard, open_question
from ui.kit.forms import Form, combo, fill, selected_key, table
from ui.kit.formatting import uk_time
from ui.kit.widgets import frameless_scroll, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt
from ui.kit import theme

COLUMNS = ("Reference", "From", "Received (UK time)", "Data Protection Manager clock", "Outcome", "Reply", "Status")
KIND_FIELDS = {"dpm-notified": ("who", "at"), "outcome": ("outcome", "partner", "reason", "at"),
               "replied": ("how", "summary", "at"), "note": ("text", "at")}
LABELS = {"kind": "What to record", "who": "Who was told", "outcome": "Outcome",
          "partner": "Partner referred to", "reason": "Reason for the outcome", "how": "How the reply was sent",
          "summary": "What the reply said (optional)", "text": "Note", "at": "When (optional)"}


def outcome_text(complaint) -> str:
    state = complaint.state
    if not state.outcome:
        return "Not decided"
    text = core.OUTCOMES.get(state.outcome, state.outcome)
    return text + (f" ({load_agreement().partner_name(state.outcome_partner)})" if state.outcome_partner else "")


class ComplaintsPage(QtWidgets.QWidget):
    def __init__(self, area):
        super().__init__()
        self.area = area
        self.session = area.session
        self.items: list = []
        self.current = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        top = QtWidgets.QHBoxLayout()
        self.status_filter = combo((("open", "Open complaints"), ("answered", "Answered complaints"),
                                    ("", "All complaints")), "Show")
        label = QtWidgets.QLabel("S&how")
        label.setBuddy(self.status_filter)
        top.addWidget(label)
        top.addWidget(self.status_filter)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addStretch(1)
        self.counts = plain_label("", wrap=False)
        self.counts.setAccessibleName("Complaint counts")
        top.addWidget(self.counts)
        layout.addLayout(top)
        layout.addWidget(hint_label(f"{core.clock_title()} from when a complaint was received, the same clock as a "
                                    "breach. A complaint is answered once it has an outcome and a reply."))
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(split, 1)
        self.table = table(COLUMNS, "Complaints")
        self.table.itemSelectionChanged.connect(self._selected)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in (1, 3):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.Stretch)
        split.addWidget(self.table)
        self.scroll = scroll = frameless_scroll()
        detail = QtWidgets.QWidget()
        scroll.setWidget(detail)
        d = QtWidgets.QVBoxLayout(detail)
        d.setContentsMargins(0, 8, 8, 8)
        self.empty = hint_label("Choose a complaint to see its record and timeline.")
        d.addWidget(self.empty)
        title_row = QtWidgets.QHBoxLayout()
        self.title = heading("", 2)
        title_row.addWidget(self.title, 1)
        self.print_button = QtWidgets.QPushButton("Print complaint re&port…")
        self.print_button.clicked.connect(self.print_complaint)
        title_row.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignTop)
        d.addLayout(title_row)
        self.clock_text = plain_label("", selectable=True)
        self.clock_text.setAccessibleName("Clock")
        theme.style(self.clock_text, "QLabel { border: 0px none; border-left: 5px solid {accent}; padding-left: 8px; }")
        d.addWidget(self.clock_text)
        self.facts = plain_label("", selectable=True)
        self.facts.setAccessibleName("The complaint as recorded")
        d.addWidget(self.facts)
        self.timeline_heading = heading("Timeline", 2)
        d.addWidget(self.timeline_heading)
        self.timeline = plain_label("", selectable=True)
        self.timeline.setAccessibleName("Timeline of updates")
        d.addWidget(self.timeline)
        self.form = Form("Add to the record", LABELS, "Each entry is dated and signed with your name.", "&Record")
        self.kind = self.form.add("kind", LABELS["kind"], combo(core.UPDATE_KINDS.items(), LABELS["kind"]), width=420)
        self.form.add("who", LABELS["who"], LineBox())
        self.form.add("outcome", LABELS["outcome"], combo((("", "Choose"), *core.OUTCOMES.items()), LABELS["outcome"]))
        self.form.add("partner", LABELS["partner"], combo(
            (("", "Choose a partner"), *((p.code, p.name) for p in load_agreement().partners)), LABELS["partner"]))
        self.form.add("reason", LABELS["reason"], TextBox(3))
        self.form.add("how", LABELS["how"], LineBox())
        self.form.add("summary", LABELS["summary"], TextBox(3))
        self.form.add("text", LABELS["text"], TextBox(3))
        at = self.form.add("at", LABELS["at"], LineBox(), "dd/mm/yyyy HH:MM in UK time; leave blank for now", width=200)
        at.setPlaceholderText("dd/mm/yyyy HH:MM")
        self.kind.currentIndexChanged.connect(lambda _i: self._show_fields())
        self.form.button.clicked.connect(self.submit)
        self.form.setVisible(self.session.can("breaches.manage"))
        d.addWidget(self.form)
        d.addStretch(1)
        split.addWidget(scroll)
        split.setSizes([240, 440])
        self._show_fields()
        self._show(None)

    def _show_fields(self) -> None:
        wanted = ("kind", *KIND_FIELDS.get(self.kind.currentData(), ()))
        for key, row in self.form.rows.items():
            row.setVisible(key in wanted)

    def refresh(self) -> None:
        vault = self.session.vault
        try:
            self.items = core.list_complaints(vault, status=self.status_filter.currentData() or None)
            open_ones = core.list_complaints(vault, status="open", audit=False)
        except SpocError as exc:
            self.counts.setText(error_text(exc, "The complaints could not be read."))
            return
        overdue = sum(1 for c in open_ones if c.is_overdue())
        self.counts.setText(f"{len(open_ones)} open, {overdue} overdue")
        rows = []
        for c in self.items:
            rows.append((c.reference, c.from_text, uk_time(c.received_at), c.dpm_clock().text(), outcome_text(c),
                         uk_time(c.state.replied_at) if c.state.replied_at else "Not yet",
                         c.state.status.capitalize()))
        keep = self.current.id if self.current is not None else None
        self.table.blockSignals(True)
        fill(self.table, rows, [c.id for c in self.items], max_height=320)
        bold = self.table.font()
        bold.setBold(True)
        for r, c in enumerate(self.items):
            if c.is_overdue():
                item = self.table.item(r, 3)
                theme.mark_item(item, "danger")
                item.setFont(bold)
        self.table.blockSignals(False)
        count = len(open_ones)
        self.area.tabs.setTabText(self.area.tabs.indexOf(self), f"&Complaints ({count} open)" if count
                                  else "&Complaints")
        if keep is not None:
            self.select(keep)

    def select(self, ref_or_id: str) -> None:
        for r, c in enumerate(self.items):
            if ref_or_id in (c.id, c.reference):
                self.table.selectRow(r)
                self._selected()
                return

    def _selected(self) -> None:
        key = selected_key(self.table)
        if key is None:
            return
        if self.current is not None and self.current.id != key and self.typed() is not None:
            # Another complaint would clear the update being typed: ask first (ui/kit/guard.py);
            # the list stays on this complaint unless the user chooses "Discard changes".
            self._select_quietly(self.current.id)
            if open_question(self.area) is None:
                ask_discard(self.area, True, lambda: (self._drop_update(), self.select(key)))
            return
        try:
            self._show(core.get_complaint(self.session.vault, key,
                                          audit=self.current is None or self.current.id != key))
        except SpocError as exc:
            self.facts.setText(error_text(exc, "The complaint could not be read."))

    def _show(self, complaint) -> None:
        self.current = complaint
        shown = complaint is not None
        self.empty.setVisible(not shown)
        for widget in (self.title, self.print_button, self.clock_text, self.facts, self.timeline_heading,
                       self.timeline):
            widget.setVisible(shown)
        self.form.setVisible(shown and self.session.can("breaches.manage"))
        if not shown:
            return
        state = complaint.state
        self.title.setText(f"{complaint.reference}: complaint ({state.status})")
        self.clock_text.setText(f"{core.clock_title()}: {complaint.dpm_clock().text()}\n"
                                f"Outcome: {outcome_text(complaint)}\n"
                                f"Reply: {uk_time(state.replied_at) if state.replied_at else 'not sent yet'}")
        links = core.linked_labels(self.session.vault, complaint)
        self.facts.setText("\n".join(line for line in (
            f"From: {complaint.from_text}",
            f"About: {complaint.agency_name}",
            f"Received {uk_time(complaint.received_at)} (UK time) by "
            f"{core.HOW_TITLES.get(complaint.received_how, complaint.received_how).lower()}; recorded by "
            f"{complaint.created_by} at {uk_time(complaint.created_at)}.",
            f"Linked: {', '.join(links)}" if links else None, "", "What it is about:", complaint.about)
            if line is not None))
        entries = [f"{uk_time(u.at)}  {u.label} — recorded by {u.recorded_by} at {uk_time(u.recorded_at)}\n"
                   f"    {u.summary()}" for u in complaint.updates]
        self.timeline.setText("\n\n".join(entries) if entries else
                              "Nothing recorded yet: record when you, the Data Protection Manager, were told.")
        if not complaint.updates and self.typed() is None:   # never under the user's typing
            self.form.set_value("kind", "dpm-notified")

    def submit(self):
        complaint = self.current
        if complaint is None:
            return None
        kind = self.kind.currentData()
        data = {key: self.form.value(key) for key in KIND_FIELDS[kind]}
        try:
            saved = core.add_update(self.session.vault, complaint.id, kind, data)
        except Invalid as exc:
            self.form.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.form.show_problems([("", error_text(exc, "The update was not saved."))])
            return None
        self._clear_update()   # recorded: the form is clean, nothing to ask on leaving
        self.current = saved
        self._show(saved)
        self.area._sync_kept_draft()
        self.refresh()
        self.area.changed.emit()
        return saved

    def print_complaint(self):
        from ui.kit.preview import show_report

        if self.current is None:
            return None
        return show_report(self.area, self.session, "complaint", self.current.reference)

    # ---- unsaved input (ui/kit/guard.py) and drafts over a lock ----------------------------

    def typed(self) -> dict | None:
        """What was put in the update form (any field, shown or not), with the kind chosen; None
        when it holds nothing worth keeping (the kind alone is not input)."""
        if self.current is None or not self.session.can("breaches.manage"):
            return None
        fields = {key: value for key, value in self.form.values().items()
                  if key != "kind" and isinstance(value, str) and value.strip()}
        if not fields:
            return None
        return {"kind": self.kind.currentData() or "", "fields": fields}

    def draft_state(self) -> dict | None:
        typed = self.typed()
        if typed is None:
            return None
        return {"id": self.current.id, "reference": self.current.reference, **typed}

    def _clear_update(self) -> None:
        for key in self.form.inputs:
            if key != "kind":
                self.form.set_value(key, "")
        self.form.show_problems([])

    def discard_changes(self) -> None:
        self._clear_update()

    def _drop_update(self) -> None:
        self._clear_update()
        self.area._sync_kept_draft()

    def restore_draft_state(self, kept: dict) -> tuple[str, bool]:
        """Open the complaint again with the update as typed: (what to say, whether it came back)."""
        reference = kept.get("reference") if isinstance(kept.get("reference"), str) else "a complaint"
        complaint = None
        if isinstance(kept.get("id"), str):
            try:
                complaint = core.get_complaint(self.session.vault, kept["id"])
            except SpocError:
                complaint = None
        if complaint is None:
            return (f"The update you were typing to complaint {reference} could not be brought back: that "
                    "complaint is no longer on this desk, so what you typed was let go.", False)
        self._show(complaint)
        self.refresh()   # the list, with this complaint chosen in it
        kind = kept.get("kind")
        if isinstance(kind, str) and kind in KIND_FIELDS:
            self.form.set_value("kind", kind)
        fields = kept.get("fields") if isinstance(kept.get("fields"), dict) else {}
        for key, value in fields.items():
            if key in self.form.inputs and key != "kind" and isinstance(value, str):
                self.form.set_value(key, value)
        return (f"Your unsaved update to complaint {complaint.reference} is back, as you left it. Choose "
                "Record to add it to the record.", True)

    def _select_quietly(self, complaint_id: str | None) -> None:
        self.table.blockSignals(True)
        try:
            self.table.clearSelection()
            for r, c in enumerate(self.items):
                if complaint_id is not None and c.id == complaint_id:
                    self.table.selectRow(r)
                    break
        finally:
            self.table.blockSignals(False)

    def go_back(self) -> bool:
        """Alt+Left and Escape close the complaint shown (asking first if its update holds typing)."""
        if self.current is None:
            return False
        if open_question(self.area) is None:
            ask_discard(self.area, self.typed() is not None, self._close)
        return True

    def _close(self) -> None:
        self._drop_update()
        self._select_quietly(None)
        self._show(None)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_form(self) -> None:
        if self.current is not None and not self.form.isHidden():
            self.scroll.ensureWidgetVisible(self.form)
            self.kind.setFocus(Qt.FocusReason.OtherFocusReason)
