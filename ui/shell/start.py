"""The start screen: recent vaults on this workstation, create a vault, open one."""

from __future__ import annotations

from pathlib import Path

from app import __version__
from ui.kit import config
from ui.kit.dialogs import info_box
from ui.qt import QtWidgets, Qt, Signal
from ui.kit.widgets import bold_label, heading, HINT_STYLE, MarkingBanner, plain_label
from ui.kit import theme

VAULT_FILTER = "SPOC Desk vaults (*.vault);;All files (*)"


class StartWindow(QtWidgets.QWidget):
    open_vault = Signal(object)   # Path
    create_vault = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("SPOC Desk")
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner())
        body = QtWidgets.QWidget()
        outer.addWidget(body, 1)
        outer.addWidget(MarkingBanner())

        column = QtWidgets.QVBoxLayout(body)
        column.setContentsMargins(48, 24, 48, 24)
        column.addWidget(heading("SPOC Desk"))
        column.addWidget(plain_label(
            "Modern Slavery information sharing: requests, responses, disclosures, breaches and "
            "meetings, kept in an encrypted vault on this workstation."))
        column.addSpacing(12)
        recent_label = bold_label("&Recent vaults")
        column.addWidget(recent_label)
        self.recent = QtWidgets.QListWidget()
        self.recent.setAccessibleName("Recent vaults")
        self.recent.itemActivated.connect(self._open_item)
        self.recent.currentItemChanged.connect(lambda *_: self._update_buttons())
        recent_label.setBuddy(self.recent)
        column.addWidget(self.recent, 1)
        self.empty_hint = plain_label("No vaults opened on this workstation yet. Create one, or open "
                                      "the vault file your administrator gave you.")
        theme.style(self.empty_hint, HINT_STYLE)
        column.addWidget(self.empty_hint)

        buttons = QtWidgets.QHBoxLayout()
        self.forget_button = QtWidgets.QPushButton("&Forget from list")
        self.forget_button.setToolTip("Remove from this list; the vault file is not touched.")
        self.forget_button.clicked.connect(self._forget)
        self.create_button = QtWidgets.QPushButton("&Create vault…")
        self.create_button.clicked.connect(self.create_vault)
        self.browse_button = QtWidgets.QPushButton("Open &vault…")
        self.browse_button.clicked.connect(self._browse)
        self.open_button = QtWidgets.QPushButton("&Open")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(lambda: self._open_item(self.recent.currentItem()))
        buttons.addWidget(self.forget_button)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.open_button)
        column.addLayout(buttons)
        version = plain_label(f"Version {__version__}")
        theme.style(version, HINT_STYLE)
        column.addWidget(version, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(720, 520)
        self.reload()

    def reload(self) -> None:
        self.recent.clear()
        for path in config.recent_vaults():
            missing = not path.exists()
            item = QtWidgets.QListWidgetItem(f"{path.name}   —   {path.parent}" + ("   (not found)" if missing else ""))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
        if self.recent.count():
            self.recent.setCurrentRow(0)
        self.empty_hint.setVisible(self.recent.count() == 0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.recent.currentItem() is not None
        self.open_button.setEnabled(chosen)
        self.forget_button.setEnabled(chosen)

    def _open_item(self, item) -> None:
        if item is None:
            return
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        if not path.exists():
            info_box(self, "Vault not found", f"There is no vault at {path}. It may have been moved, or be on a "
                     "drive that is not connected.", warning=True).open()
            return
        self.open_vault.emit(path)

    def _forget(self) -> None:
        item = self.recent.currentItem()
        if item is not None:
            config.forget_vault(item.data(Qt.ItemDataRole.UserRole))
            self.reload()

    def _browse(self) -> None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a vault", str(Path.home()), VAULT_FILTER)
        if name:
            self.open_vault.emit(Path(name))
