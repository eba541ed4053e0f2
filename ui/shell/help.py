"""Help: the user guide (the pages of docs/, shown in the app) and the keyboard shortcuts.

The guide is read from the packaged copy (resources/docs in the frozen bundle, share/spocdesk/docs
in an installed wheel) or, run from the source tree, from docs/. It holds no vault data, so its window carries no marking."""

from __future__ import annotations

import sys
from pathlib import Path

from ui.kit.widgets import heading, hint_label
from ui.qt import QtCore, QtGui, QtWidgets, Qt

# The guide's pages, in reading order: (file, title).
GUIDE_PAGES = (
    ("desktop.md", "The desktop screens"),
    ("breaches.md", "Breaches and complaints"),
    ("meetings.md", "Tactical meetings"),
    ("cases.md", "Cases"),
    ("subject-access.md", "Subject access and FOI requests"),
    ("retention.md", "Keeping and deleting records"),
    ("reports.md", "Printed documents"),
    ("exchange-format.md", "Packages between desks"),
    ("security.md", "Security"),
    ("deploy.md", "Installing and moving a desk"),
    ("cli.md", "The command line"),
)


def docs_dir() -> Path | None:
    from app.paths import resource_path

    for folder in (resource_path("docs"), Path(sys.prefix) / "share" / "spocdesk" / "docs",
                   Path(__file__).resolve().parents[2] / "docs"):
        if (folder / "desktop.md").is_file():
            return folder
    return None


class GuideDialog(QtWidgets.QDialog):
    """The user guide: its pages in a list, the chosen one beside it."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("User guide – SPOC Desk")
        layout = QtWidgets.QHBoxLayout(self)
        self.pages = QtWidgets.QListWidget()
        self.pages.setAccessibleName("Guide pages")
        self.pages.setMaximumWidth(260)
        self.text = QtWidgets.QTextBrowser()
        self.text.setAccessibleName("Guide page")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link)
        layout.addWidget(self.pages)
        layout.addWidget(self.text, 1)
        self.folder = docs_dir()
        for name, title in GUIDE_PAGES:
            if self.folder is not None and (self.folder / name).is_file():
                item = QtWidgets.QListWidgetItem(title)
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.pages.addItem(item)
        self.pages.currentRowChanged.connect(self._show)
        if self.pages.count():
            self.pages.setCurrentRow(0)
        else:
            self.text.setPlainText("The user guide is not installed with this copy of SPOC Desk.")
        fit_to_screen(self, 1000, 720)

    def page_names(self) -> list[str]:
        return [self.pages.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.pages.count())]

    def show_page(self, name: str) -> bool:
        for row, page in enumerate(self.page_names()):
            if page == name:
                self.pages.setCurrentRow(row)
                return True
        return False

    def _show(self, row: int) -> None:
        if row < 0 or self.folder is None:
            return
        name = self.pages.item(row).data(Qt.ItemDataRole.UserRole)
        self.text.setMarkdown((self.folder / name).read_text(encoding="utf-8"))
        self.text.moveCursor(QtGui.QTextCursor.MoveOperation.Start)

    def _link(self, url: QtCore.QUrl) -> None:
        target = url.path().rsplit("/", 1)[-1] if not url.scheme() or url.scheme() == "file" else ""
        if target and self.show_page(target):
            return
        if url.scheme() in ("http", "https"):
            QtGui.QDesktopServices.openUrl(url)


class ShortcutsDialog(QtWidgets.QDialog):
    """Every key of the window's menus, and the keys every screen has."""

    def __init__(self, rows, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts – SPOC Desk")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(heading("Keyboard shortcuts"))
        layout.addWidget(hint_label("Everything in SPOC Desk can be done from the keyboard."))
        self.table = QtWidgets.QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(("What", "Keys"))
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        for r, (what, keys) in enumerate(rows):
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(what))
            self.table.setItem(r, 1, QtWidgets.QTableWidgetItem(keys))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, 720, 640)

    def rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())]


def fit_to_screen(window: QtWidgets.QWidget, width: int, height: int) -> None:
    """Resize to (width, height), never beyond the available area of the window's screen."""
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        width, height = min(width, area.width() - 40), min(height, area.height() - 60)
    window.resize(width, height)


def open_guide(parent, page: str | None = None) -> GuideDialog:
    dialog = GuideDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if page:
        dialog.show_page(page)
    dialog.open()
    return dialog


def open_shortcuts(parent) -> ShortcutsDialog:
    from ui.shell.menus import shortcut_rows

    dialog = ShortcutsDialog(shortcut_rows(parent), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
