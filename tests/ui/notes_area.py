"""A test area with a form (and its draft) and a table model: it stands in for any area that
holds personal data, so lock discipline can be checked on real widgets."""

from __future__ import annotations

from ui.qt import QtGui, QtWidgets
from ui.kit.widgets import Area


class NotesArea(Area):
    """A form with a draft and a table model: stands in for any area holding personal data."""

    key = "notes_test"
    title = "Notes"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.notes = QtWidgets.QLineEdit()
        self.notes.setAccessibleName("Notes")
        layout.addWidget(self.notes)
        self.model = QtGui.QStandardItemModel(0, 1)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        layout.addWidget(self.table)

    def draft_state(self):
        return {"notes": self.notes.text()} if self.notes.text() else None

    def restore_draft_state(self, payload):
        self.notes.setText(payload.get("notes", ""))
