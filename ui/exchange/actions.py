"""File > Import a whole-vault file and File > Export whole vault (moving a desk): the main
window calls these. Requests and responses between desks travel as sealed packages instead
(ui/exchange/packages.py, File > Receive package).

- `import_exchange_file(parent, session)`: choose a whole-vault file or sealed vault package and
  import it into this EMPTY vault off the GUI thread (app.exchange.packages.import_whole_vault, all
  or nothing; a live desk refuses it), then say what arrived; a refused file names the record and
  field and says nothing was changed.
- `export_whole_vault(parent, session)` (administrators): says what will be exported, then seals it
  to the new vault's card or, typed UNENCRYPTED, writes an unencrypted file (audited).

Both return their dialog (shown with open(), never exec()) so tests and callers can drive it.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from app.exchange import desks, packages
from app.errors import SpocError
from ui.qt import QtGui, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text, info_box
from ui.kit.formatting import documents_folder, EXCHANGE_FILTER, safe_file_stem
from ui.kit.widgets import heading, plain_label
from ui.worker import Op
from ui.kit import theme


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
        theme.style(self.result, "color: {ok}; font-weight: bold;" if ok
                                  else "color: {danger}; font-weight: bold;")
        self.result.show()
        # A long outcome (a refusal naming the record, a move's many counts) wraps onto more
        # lines: the dialog grows to show all of it rather than cutting it off.
        self.layout().activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

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
    open_request = Signal(str)  # the reference of the request to open

    def __init__(self, session, path: Path, parent: QtWidgets.QWidget | None = None):
        super().__init__("Import an exchange file", parent)
        self.session = session
        self.path = Path(path)
        self.summary = None
        self.open_button = self.buttons.addButton("&Open request", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.close_button.clicked.connect(self.accept)

    def start(self) -> None:
        self._set_busy(True, f"Importing {self.path.name}… The whole file is checked first; if any record is "
                             "wrong, nothing is changed.")
        vault = self.session.vault
        path = self.path
        Op(self, lambda: packages.import_whole_vault(vault, path), "The file could not be imported.") \
            .success(self._done).failure(self._failed).run()

    def _done(self, summary) -> None:
        self._set_busy(False, f"From {self.path.name}:")
        self.summary = summary
        lines = [summary.sentences()]
        if summary.references:
            shown = ", ".join(summary.references[:20])
            more = f" and {len(summary.references) - 20} more" if len(summary.references) > 20 else ""
            lines.append(f"The {'request is' if len(summary.references) == 1 else 'requests are'} {shown}{more}.")
            self.open_button.setText("&Open request" if len(summary.references) == 1
                                     else f"&Open request {summary.references[0]}")
            self.open_button.show()
        self._show_result(True, "Imported", "\n".join(lines))
        self.imported.emit(summary)

    def _open(self) -> None:
        if self.summary is not None and self.summary.references:
            self.open_request.emit(self.summary.references[0])
            self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False, f"From {self.path.name}:")
        message = error_text(exc, "The file could not be imported.")
        if "nothing was changed" not in message.lower():
            message += "\nNothing was changed."
        self._show_result(False, "The file was not imported", message)


def import_exchange_file(parent, session):
    """Ask for a file and import it; returns the ImportDialog, a message box, or None if cancelled."""
    if not session.can("export.all"):
        box = info_box(parent, "Import", "Only an administrator imports a whole-vault file (moving a desk). "
                                         "Packages from partner desks come in by File ▸ Receive package.",
                       warning=True)
        box.open()
        return box
    chosen, _filter = QtWidgets.QFileDialog.getOpenFileName(
        parent, "Import a whole-vault file", str(documents_folder()),
        "SPOC Desk whole-vault files (*.spocpkg *.json);;All files (*)")
    if not chosen:
        return None
    dialog = ImportDialog(session, Path(chosen), parent)
    dialog.open()
    dialog.start()
    return dialog


class ExportVaultDialog(_WorkDialog):
    """Moving a desk: the whole vault sealed to the new vault's card (the standard way), or, as an
    administrator's explicit and audited choice, an unencrypted file (typed confirmation)."""

    exported = Signal(object)  # the Path written
    CONFIRM_WORD = "UNENCRYPTED"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__("Export the whole vault", parent)
        self.session = session
        self.path: Path | None = None
        agency = session.vault.agency
        self.text.setText(
            f"This writes everything in this vault of {agency} to one file: every request and its subjects "
            "(personal data), every response, the disclosure register, the partners directory, breaches, "
            "meetings and any partner suspensions. Use it only to move or restore this desk.\n\n"
            "Seal it to the new vault's card (Partners ▸ This desk's card… on the new desk): only that vault "
            "can open it. An unencrypted file is NOT encrypted; it is recorded in the audit trail and shown "
            "to the Data Protection Manager.")
        self.confirm = QtWidgets.QLineEdit()
        self.confirm.setAccessibleName(f"Type {self.CONFIRM_WORD} to make an unencrypted file")
        self.confirm.setPlaceholderText(f"Type {self.CONFIRM_WORD} to make an unencrypted file")
        self.layout().insertWidget(2, self.confirm)
        self.seal_button = self.buttons.addButton("&Seal to the new vault's card…",
                                                  QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.seal_button.clicked.connect(lambda: self.seal_to_card())
        self.choose_button = self.buttons.addButton("&Unencrypted file…", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.choose_button.setDefault(False)
        self.choose_button.setEnabled(False)
        self.confirm.textChanged.connect(lambda t: self.choose_button.setEnabled(t.strip() == self.CONFIRM_WORD))
        self.choose_button.clicked.connect(self.choose_and_export)
        self.cancel_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)

    def default_name(self, sealed: bool = False) -> str:
        today = _dt.date.today().strftime("%Y%m%d")
        return f"spocdesk-{safe_file_stem(self.session.vault.agency)}-vault-{today}" + (packages.SUFFIX if sealed else ".json")

    def _target(self, sealed: bool) -> Path | None:
        chosen, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the whole vault", str(documents_folder() / self.default_name(sealed)),
            f"SPOC Desk packages (*{packages.SUFFIX})" if sealed else EXCHANGE_FILTER)
        if not chosen:
            return None
        path = Path(chosen)
        suffix = packages.SUFFIX if sealed else ".json"
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        if path.exists():
            self._show_result(False, "Not exported", f"{path.name} already exists; choose a new file name.")
            return None
        if not path.parent.is_dir():
            self._show_result(False, "Not exported", f"The folder {path.parent} does not exist.")
            return None
        return path

    def seal_to_card(self, card_path: str | None = None) -> None:
        if card_path is None:
            card_path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "The new vault's card", str(documents_folder()),
                                                                 "SPOC Desk desk cards (*.card.json *.json)")
        if not card_path:
            return
        try:
            card = desks.read_card(Path(card_path))
        except SpocError as exc:
            self._show_result(False, "Not exported", error_text(exc, "That file is not a desk card."))
            return
        path = self._target(True)
        if path is None:
            return
        self._run(path, lambda vault: packages.export_sealed(vault, card, path))

    def choose_and_export(self) -> None:
        if self.confirm.text().strip() != self.CONFIRM_WORD:
            return
        path = self._target(False)
        if path is not None:
            self._run(path, lambda vault: packages.export_unencrypted(vault, path))

    def _run(self, path: Path, export) -> None:
        self.path = path
        self._set_busy(True, f"Exporting to {path.name}…")
        vault = self.session.vault

        def work():
            export(vault)
            return path

        Op(self, work, "The vault could not be exported.").success(self._done).failure(self._failed).run()

    def _done(self, path) -> None:
        self._set_busy(False, "")
        self.choose_button.hide()
        self.seal_button.hide()
        self.confirm.hide()
        self.cancel_button.setText("Close")
        sealed = Path(path).suffix == packages.SUFFIX
        self._show_result(True, "Exported", f"Saved {Path(path).name} in {Path(path).parent}. " + (
            "It is sealed: only the new vault can open it (File ▸ Import a whole-vault file there)." if sealed else
            "It is not encrypted: move it to where it is needed and delete other copies."))
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
                       "use Send to agencies on it.", warning=True)
        box.open()
        return box
    dialog = ExportVaultDialog(session, parent)
    dialog.open()
    return dialog
