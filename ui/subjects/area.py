"""Subjects: the people, locations and businesses this desk holds, searchable across scripts
(accents ignored), each with its page: details, aliases, identifiers, the requests, cases and
meetings it appears in, its links to other subjects (with the record each came from and its
originator, section 6), a form to record a link, and its relationship map to a chosen depth.

`show_subject(id)` opens a subject's page (the shell calls it when another area's map asks).
Every rule is in app.subjects and app.links; this only shows and asks.
"""

from __future__ import annotations

from app import links as lk, subjects as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from app.timeutil import london_display
from ui.kit.dialogs import error_text
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.forms import Form, combo, fill, selected_key, table
from ui.kit.relmap import RelationshipMap
from ui.kit.widgets import Area, frameless_scroll, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt
from ui.kit import theme

LIST_COLUMNS = ("Name or description", "Kind", "Aliases", "Added")
LINK_LABELS = {"kind": "How they are linked", "from_subject": "This subject", "to_subject": "Linked to",
               "vehicle": "Vehicle registration", "valid_from": "Began", "valid_to": "Ended",
               "confidence": "How sure", "source_id": "Learnt from", "notes": "Notes"}


class SubjectsArea(Area):
    key = "subjects"
    title = "Subjects"
    permission = "requests.read"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.current: core.Subject | None = None
        self.write = session.can("requests.write")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(heading("Subjects"))
        layout.addWidget(hint_label("People, locations and businesses on this desk's requests and cases. Search by "
                                    "name, alias, address or identifier, in any script."))
        row = QtWidgets.QHBoxLayout()
        self.search = QtWidgets.QLineEdit()
        self.search.setAccessibleName("Search subjects")
        self.search.setPlaceholderText("Name, alias, address or identifier")
        label = QtWidgets.QLabel("Sea&rch")
        label.setBuddy(self.search)
        self.search.returnPressed.connect(self.refresh)
        self.kind = combo([("", "All kinds"), *((k, k.capitalize()) for k in core.KINDS)], "Kind")
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        button = QtWidgets.QPushButton("&Find")
        button.clicked.connect(self.refresh)
        for widget in (label, self.search, self.kind, button):
            row.addWidget(widget)
        self.count = plain_label("", wrap=False)
        row.addWidget(self.count, 1)
        layout.addLayout(row)
        self.error = plain_label("")
        theme.style(self.error, "color: {danger}; font-weight: bold;")
        self.error.hide()
        layout.addWidget(self.error)
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        self.table = table(LIST_COLUMNS, "Subjects")
        self.table.itemSelectionChanged.connect(self._chosen)
        split.addWidget(self.table)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setAccessibleName("The chosen subject")
        split.addWidget(self.tabs)
        split.setSizes([180, 700])
        self._build_pages()
        self.tabs.setEnabled(False)  # until a record is chosen
        self.empty = plain_label("Choose a subject above.")
        layout.addWidget(self.empty)

    def _build_pages(self) -> None:
        scroll = frameless_scroll()
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        page = QtWidgets.QVBoxLayout(body)
        page.setContentsMargins(12, 8, 12, 12)
        self.heading = heading("", 2)
        page.addWidget(self.heading)
        self.details = plain_label("", wrap=False, selectable=True)
        self.details.setAccessibleName("Subject details")
        page.addWidget(self.details)
        self.corrections_box = QtWidgets.QVBoxLayout()  # its corrections and the flag (7.2)
        self.correction_strip = None
        page.addLayout(self.corrections_box)
        self.appears = plain_label("", wrap=False, selectable=True)
        self.appears.setAccessibleName("Where the subject appears")
        page.addWidget(self.appears)
        page.addWidget(heading("Links", 2))
        self.links = table(("This subject", "Link", "Other", "Dates", "Confidence", "Source", "Originator"), "Links")
        page.addWidget(self.links)
        remove_row = QtWidgets.QHBoxLayout()
        self.remove_link_button = QtWidgets.QPushButton("&Remove the chosen link…")
        self.remove_link_button.setToolTip("A link recorded in error; you say why, and the audit trail records it")
        self.remove_link_button.clicked.connect(self.confirm_remove_link)
        self.remove_link_button.setVisible(self.write)
        remove_row.addWidget(self.remove_link_button)
        self.link_note = plain_label("")
        self.link_note.setAccessibleName("Link result")
        remove_row.addWidget(self.link_note, 1)
        page.addLayout(remove_row)
        self.link_form = Form("Record a link", LINK_LABELS, "Say which record the link was learnt from: a link from "
                              "a partner's response is that partner's information (section 6).", "Save &link")
        self.link_form.add("kind", "How they are linked",
                           combo([("", "Choose…"), *((k, v[0]) for k, v in lk.KINDS.items())], "How they are linked"),
                           "From this subject: associate of, family of, lives at, works at, runs or directs, "
                           "registered at, uses vehicle")
        self.link_form.add("to_subject", "Linked to", combo([("", "Choose…")], "Linked to"),
                           "Subjects of the same requests and cases; for a vehicle, enter its registration below")
        self.link_form.add("vehicle", "Vehicle registration", LineBox(), width=200)
        self.link_form.add("valid_from", "Began", DateField())
        self.link_form.add("valid_to", "Ended", DateField())
        self.link_form.add("confidence", "How sure",
                           combo([("", "Choose…"), *lk.CONFIDENCE.items()], "How sure"))
        self.link_form.add("source_id", "Learnt from", combo([("", "Choose…")], "Learnt from"),
                           "The request, the response of a named partner, or the case")
        self.link_form.add("notes", "Notes", TextBox(2))
        self.link_form.button.clicked.connect(self.add_link)
        self.link_form.setVisible(self.write)
        page.addWidget(self.link_form)
        page.addStretch(1)
        self.tabs.addTab(scroll, "&Page")
        map_page = QtWidgets.QWidget()
        mv = QtWidgets.QVBoxLayout(map_page)
        row = QtWidgets.QHBoxLayout()
        self.depth = QtWidgets.QSpinBox()
        self.depth.setRange(1, lk.MAX_DEPTH)
        self.depth.setAccessibleName("Depth of neighbours")
        depth_label = QtWidgets.QLabel("Nei&ghbours to depth")
        depth_label.setBuddy(self.depth)
        self.depth.valueChanged.connect(lambda _v: self._load_map())
        row.addWidget(depth_label)
        row.addWidget(self.depth)
        row.addStretch(1)
        mv.addLayout(row)
        self.map = RelationshipMap()
        self.map.subject_activated.connect(self.show_subject)
        mv.addWidget(self.map, 1)
        self.tabs.addTab(map_page, "Relationship m&ap")
        self.tabs.currentChanged.connect(lambda i: self._load_map() if i == 1 else None)

    # ---- the list --------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            items = core.find_subjects(self.session.vault, self.search.text(), kind=self.kind.currentData() or None)
        except SpocError as exc:
            self.error.setText(error_text(exc, "The search did not run."))
            self.error.show()
            return
        self.error.hide()
        self.table.blockSignals(True)
        fill(self.table, [(s.name, s.kind.capitalize(), ", ".join(s.aliases), london_display(s.created_at))
                          for s in items], [s.id for s in items], max_height=150)
        self.table.blockSignals(False)
        self.count.setText(f"{len(items)} shown")

    def _chosen(self) -> None:
        subject_id = selected_key(self.table)
        if subject_id:
            self.show_subject(subject_id)

    # ---- the page --------------------------------------------------------------------------

    def show_subject(self, subject_id: str) -> None:
        vault = self.session.vault
        subject = self.current = core.get_subject(vault, subject_id)
        self.empty.hide()
        self.tabs.setEnabled(True)
        self.heading.setText(f"{subject.name} ({subject.kind})")
        lines = []
        if subject.aliases:
            lines.append("Also known as: " + "; ".join(subject.aliases))
        if subject.date_of_birth:
            lines.append(f"Date of birth: {subject.date_of_birth[8:10]}/{subject.date_of_birth[5:7]}/"
                         f"{subject.date_of_birth[:4]}")
        if subject.addresses:
            lines.append("Addresses: " + "; ".join(subject.addresses))
        for ident in subject.identifiers:
            lines.append(f"{ident.get('type') or 'Identifier'}: {ident.get('value', '')}")
        if subject.description:
            lines.append(f"Description: {subject.description}")
        lines.append(f"Recorded by {load_agreement().partner_name(subject.origin_agency)}")
        self.details.setText("\n".join(lines))
        self._show_corrections(subject.id)
        requests = core.requests_of_subject(vault, subject.id)
        found = [("Requests", ", ".join(f"{ref} ({core.ROLES.get(role, role).lower()})" for _i, ref, role in requests))]
        if self.session.can("cases.read"):
            found.append(("Cases", ", ".join(f"{ref} {title}" for _i, ref, title in core.cases_of_subject(vault,
                                                                                                        subject.id))))
        if self.session.can("meetings.read"):
            found.append(("Meetings", ", ".join(f"{ref} ({london_display(at)})" for _i, ref, at in
                                                 core.meetings_of_subject(vault, subject.id))))
        self.appears.setText("\n".join(f"{label}: {text or 'none'}" for label, text in found))
        links = lk.links_of_subject(vault, subject.id)
        rows = []
        for link in links:
            mine = link.from_subject == subject.id
            rows.append((link.from_name if mine else link.to_name, link.kind_label + ("" if mine else " (to)"),
                         link.to_name if mine else link.from_name, link.dates,
                         lk.CONFIDENCE.get(link.confidence, link.confidence), link.source_label,
                         load_agreement().partner_name(link.originator)))
        fill(self.links, rows, [link.id for link in links])
        self._fill_choices(subject, requests)
        if self.tabs.currentIndex() == 1:
            self._load_map()

    def _show_corrections(self, subject_id: str) -> None:
        from ui.kit.correction_flag import CorrectionStrip

        if self.correction_strip is not None and self.correction_strip.item_id == subject_id:
            self.correction_strip.refresh()  # the same record: keep what the strip last said
            return
        if self.correction_strip is not None:
            self.correction_strip.deleteLater()
        self.correction_strip = CorrectionStrip(self.session, "subject", subject_id)
        self.correction_strip.changed.connect(lambda _words: (self.changed.emit(), self.show_subject(subject_id)))
        self.corrections_box.addWidget(self.correction_strip)

    def _fill_choices(self, subject, requests) -> None:
        vault = self.session.vault
        others, sources = {}, []
        for request_id, _ref, _role in requests:
            for other in core.subjects_of_request(vault, request_id):
                if other.id != subject.id:
                    others.setdefault(other.id, f"{other.name} ({other.kind})")
            sources.extend(lk.sources_for(vault, request_id))
        for link in lk.links_of_subject(vault, subject.id):
            for end, name in ((link.from_subject, link.from_name), (link.to_subject, link.to_name)):
                if end and end != subject.id:
                    others.setdefault(end, name)
        if self.session.can("cases.read"):
            sources.extend(("case", case_id, f"Case {ref}") for case_id, ref, _t in core.cases_of_subject(vault,
                                                                                                     subject.id))
        target = self.link_form.inputs["to_subject"]
        target.clear()
        target.addItem("Choose…", "")
        for other_id, name in sorted(others.items(), key=lambda kv: kv[1].casefold()):
            target.addItem(name, other_id)
        source = self.link_form.inputs["source_id"]
        source.clear()
        source.addItem("Choose…", "")
        for kind, record_id, label in sources:
            source.addItem(label, f"{kind}:{record_id}")

    def _load_map(self) -> None:
        if self.current is not None:
            self.map.show_graph(lk.map_graph(self.session.vault, "subject", self.current.id,
                                             depth=self.depth.value()))

    def add_link(self):
        values = self.link_form.values()
        kind, _, record_id = (values.pop("source_id") or "").partition(":")
        data = dict(values, from_subject=self.current.id, source_kind=kind, source_id=record_id)
        try:
            lk.add_link(self.session.vault, data)
        except Invalid as exc:
            self.link_form.show_problems(exc.problems)
            return False
        except SpocError as exc:
            self.link_form.show_problems([("", error_text(exc, "The link was not saved."))])
            return False
        self.link_form.clear()
        self.changed.emit()
        self.show_subject(self.current.id)
        return True

    def confirm_remove_link(self):
        """Ask why first (the form is the confirmation; Cancel changes nothing)."""
        from ui.kit.dialogs import FormDialog

        link_id = selected_key(self.links)
        if self.current is None:
            return None
        if not link_id:
            self.link_note.setText("Choose the link to remove in the table above first.")
            return None
        link = lk.get_link(self.session.vault, link_id)
        subject_id = self.current.id
        words = f"{link.from_name} {link.kind_label.lower()} {link.to_name or link.vehicle}"

        def submit(d):
            lk.remove_link(self.session.vault, link_id, d.reason.value())

        dialog = FormDialog(self, "Remove the link", f"Remove the link “{words}” ({link.source_label})? Both "
                            "subjects stay; only the link goes, and the audit trail records its removal.",
                            "&Remove the link", submit)
        dialog.reason = dialog.add("reason", "&Why it is removed", TextBox(2), "For example: recorded against the "
                                   "wrong person")
        self.dialog = dialog

        def removed() -> None:
            self.changed.emit()
            self.show_subject(subject_id)
            self.link_note.setText("The link was removed.")

        dialog.accepted.connect(removed)
        dialog.open()
        return dialog

    def breach_context(self) -> dict | None:
        return {"subject_ids": [self.current.id]} if self.current is not None else None
