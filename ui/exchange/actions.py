"""File > Import and File > Export whole vault: the main window calls these.

- `import_exchange_file(parent, session)`: choose a `.json` exchange file, import it off the GUI
  thread with a busy indicator (app.exchange.import_file, all or nothing), then say what arrived;
  a refused file names the record and field and says nothing was changed.
- `export_whole_vault(parent, session)` (administrators): says what will be exported and that the
  file is not encrypted, asks where to save it (a file name with no personal data), then exports.

Both return their dialog (shown with open(), never exec()) so tests and callers can drive it.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from app import exchange
from app.errors import SpocError
from ui.qt import QtGui, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text, info_box
from ui.kit.formatting import documents_folder, EXCHANGE_FILTER, safe_file_stem
from ui.kit.widgets import heading, plain_label
from ui.worker import run_in_background


class _WorkDialog(QtWidgets.QDialog):
    """Heading, explanation, a busy bar while work runs off the GUI thread, and the outcome."""

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        self.busy = False
        self.ok: bool | None = None  # None until the work has finished
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(8)
        self.heading = heading(title)
        layout.addWidget(self.heading)
        self.text = plain_label("", selectable=True)
        self.text.setAccessibleName("Details")
        layout.addWidget(self.text)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Working")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.result = plain_label("", selectable=True)
        self.result.setAccessibleName("Result")
        self.result.hide()
        layout.addWidget(self.result)
        self.buttons = QtWidgets.QDialogButtonBox()
        layout.addWidget(self.buttons)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if text:
            self.text.setText(text)
        for button in self.buttons.buttons():
            button.setEnabled(not busy)
        if busy:
            QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(Qt.CursorShape.WaitCursor))
        else:
            QtWidgets.QApplication.restoreOverrideCursor()

    def _show_result(self, ok: bool, heading_text: str, text: str) -> None:
        self.ok = ok
        self.heading.setText(heading_text)
        self.result.setText(text)
        self.result.setStyleSheet("color: #00703c; font-weight: bold;" if ok
                                  else "color: #b10e1e; font-weight: bold;")
        self.result.show()

    def reject(self) -> None:  # Escape or Close: never while the vault is being written
        if not self.busy:
            super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.busy:
            event.ignore()
        else:
            super().closeEvent(event)


class ImportDialog(_WorkDialog):
    imported = Signal(object)  # the ImportSummary, so open areas can refresh

    def __init__(self, session, path: Path, parent: QtWidgets.QWidget | None = None):
        super().__init__("Import an exchange file", parent)
        self.session = session
        self.path = Path(path)
        self.summary = None
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.close_button.clicked.connect(self.accept)

    def start(self) -> None:
        self._set_busy(True, f"Importing {self.path.name}… The whole file is checked first; if any record is "
                             "wrong, nothing is changed.")
        vault = self.session.vault
        path = self.path
        run_in_background(lambda: exchange.import_file(vault, path), self._done, self._failed)

    def _done(self, summary) -> None:
        self._set_busy(False, f"From {self.path.name}:")
        self.summary = summary
        lines = [summary.line() + "."]
        if summary.references:
            shown = ", ".join(summary.references[:20])
            more = f" and {len(summary.references) - 20} more" if len(summary.references) > 20 else ""
            lines.append(f"Requests: {shown}{more}.")
        if summary.responses_received:
            lines.append(f"{summary.responses_received} response(s) received are in the disclosure register.")
        self._show_result(True, "Imported", "\n".join(lines))
        self.imported.emit(summary)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False, f"From {self.path.name}:")
        message = error_text(exc, "The file could not be imported.")
        if "nothing was changed" not in message.lower():
            message += "\nNothing was changed."
        self._show_result(False, "The file was not imported", message)


def import_exchange_file(parent, session):
    """Ask for a file and import it; returns the ImportDialog, a message box, or None if cancelled."""
    if not session.can("import"):
        box = info_box(parent, "Import", "Your role may not import exchange files; ask a SPOC or an "
                                         "administrator.", warning=True)
        box.open()
        return box
    chosen, _filter = QtWidgets.QFileDialog.getOpenFileName(
        parent, "Import an exchange file", str(documents_folder()), EXCHANGE_FILTER)
    if not chosen:
        return None
    dialog = ImportDialog(session, Path(chosen), parent)
    dialog.open()
    dialog.start()
    return dialog


class ExportVaultDialog(_WorkDialog):
    exported = Signal(object)  # the Path written

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__("Export the whole vault", parent)
        self.session = session
        self.path: Path | None = None
        agency = session.vault.agency
        self.text.setText(
            f"This writes everything in this vault of {agency} to one file: every request and its subjects "
            "(personal data), every response, the disclosure register, the partners directory and any partner "
            "suspensions.\n\n"
            "The file is NOT encrypted. Use it only to move or restore this desk. Keep it on encrypted storage "
            "and delete it when done. The export is recorded in the audit trail.")
        self.choose_button = self.buttons.addButton("&Choose file and export…",
                                                    QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setDefault(False)
        self.choose_button.clicked.connect(self.choose_and_export)
        self.cancel_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)

    def default_name(self) -> str:
        today = _dt.date.today().strftime("%Y%m%d")
        return f"spocdesk-{safe_file_stem(self.session.vault.agency)}-vault-{today}.json"

    def choose_and_export(self) -> None:
        chosen, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the whole vault", str(documents_folder() / self.default_name()), EXCHANGE_FILTER)
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        if path.exists():
            self._show_result(False, "Not exported", f"{path.name} already exists; choose a new file name.")
            return
        if not path.parent.is_dir():
            self._show_result(False, "Not exported", f"The folder {path.parent} does not exist.")
            return
        self.path = path
        self._set_busy(True, f"Exporting to {path.name}…")
        vault = self.session.vault

        def work():
            exchange.write_file(exchange.export_vault(vault), path)
            return path

        run_in_background(work, self._done, self._failed)

    def _done(self, path) -> None:
        self._set_busy(False, "")
        self.choose_button.hide()
        self.cancel_button.setText("Close")
        self._show_result(True, "Exported", f"Saved {Path(path).name} in {Path(path).parent}. It is not encrypted: "
                                            "move it to where it is needed and delete other copies.")
        self.exported.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False, "")
        if isinstance(exc, OSError) and not isinstance(exc, SpocError):
            text = f"The file could not be written: {exc.strerror or exc}."
        else:
            text = error_text(exc, "The vault could not be exported.")
        self._show_result(False, "Not exported", text)


def export_whole_vault(parent, session):
    """Administrators only: returns the ExportVaultDialog (or a message box saying who may)."""
    if not session.can("export.all"):
        box = info_box(parent, "Export the whole vault",
                       "Only an administrator can export the whole vault. To send one request or response, "
                       "use Export for sending on it.", warning=True)
        box.open()
        return box
    dialog = ExportVaultDialog(session, parent)
    dialog.open()
    return dialog
