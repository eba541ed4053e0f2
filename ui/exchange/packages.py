"""File ▸ Receive package… (and a package dropped on the window): verify, open and import a
sealed package all or nothing, say in words what arrived, and write the signed receipt to send
back. The rules are app.exchange.packages.receive; this screen only asks and shows."""

from __future__ import annotations

from pathlib import Path

from app.exchange import packages
from ui.kit.dialogs import error_text
from ui.kit.formatting import documents_folder, uk_time
from ui.kit.widgets import SUCCESS_STYLE, heading, plain_label
from ui.qt import QtCore, QtGui, QtWidgets, Signal
from ui.worker import Op
from ui.kit import theme

PACKAGE_FILTER = f"SPOC Desk packages (*{packages.SUFFIX});;All files (*)"


class ReceivePackageDialog(QtWidgets.QDialog):
    """Receives one package in the background and shows the outcome: what arrived, the receipt
    written for the sender, or why nothing was written."""

    received = Signal(object)       # the app.exchange.packages.Received
    open_request = Signal(str)      # a request id the user asked to open

    def __init__(self, session, path: Path, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.path = Path(path)
        self.result = None
        self.setWindowTitle("Receive a package")
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading("Receive a package", 2))
        self.message = plain_label(f"Checking {self.path.name}: the signature, this desk as its recipient, and "
                                   "every record, before anything is written…", selectable=True)
        self.message.setAccessibleName("Outcome")
        layout.addWidget(self.message)
        self.receipt = plain_label("", selectable=True)
        self.receipt.setAccessibleName("Receipt")
        self.receipt.hide()
        layout.addWidget(self.receipt)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Receiving")
        layout.addWidget(self.progress)
        buttons = QtWidgets.QHBoxLayout()
        self.open_button = QtWidgets.QPushButton("&Open request")
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        self.folder_button = QtWidgets.QPushButton("Show receipt in &folder")
        self.folder_button.hide()
        self.folder_button.clicked.connect(self._show_folder)
        self.close_button = QtWidgets.QPushButton("&Close")
        self.close_button.clicked.connect(self.accept)
        self.close_button.setEnabled(False)
        for button in (self.open_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    def start(self) -> None:
        vault, path = self.session.vault, self.path
        receipt_dir = path.parent
        Op(self, lambda: packages.receive(vault, path, receipt_out=receipt_dir), "The package could not be received.") \
            .success(self._done).failure(self._failed).run()

    def _finish(self) -> None:
        self.progress.hide()
        self.close_button.setEnabled(True)
        self.close_button.setFocus()

    def _done(self, result) -> None:
        self.result = result
        self._finish()
        if result.already_received_at:
            self.message.setText(f"{result.line}\nThis package was already received on "
                                 f"{uk_time(result.already_received_at)}; nothing was changed.")
        else:
            self.message.setText(result.line)
            theme.style(self.message, SUCCESS_STYLE)
        if result.receipt_path:
            self.receipt.setText(f"A signed receipt for the sender was written to {result.receipt_path}. Attach it "
                                 "to a secure e-mail back to them: it tells their desk the package arrived.")
            self.receipt.show()
            self.folder_button.show()
        self.open_button.setVisible(bool(result.request_id))
        self.received.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.message.setText(error_text(exc, "The package could not be received.") + "\nNothing was written.")
        theme.style(self.message, "color: {danger}; font-weight: bold;")

    def _open(self) -> None:
        if self.result is not None and self.result.request_id:
            self.open_request.emit(self.result.request_id)
            self.accept()

    def _show_folder(self) -> None:
        if self.result is not None and self.result.receipt_path:
            QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(Path(self.result.receipt_path).parent)))


def choose_package(parent) -> Path | None:
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Receive a package", str(documents_folder()),
                                                    PACKAGE_FILTER)
    return Path(path) if path else None


def receive_package(parent, session, path: Path | None = None) -> ReceivePackageDialog | None:
    """Ask for a package file (unless given) and receive it; returns the dialog showing the outcome."""
    path = path or choose_package(parent)
    if path is None:
        return None
    dialog = ReceivePackageDialog(session, path, parent)
    dialog.open()
    dialog.start()
    return dialog


def dropped_package(mime: QtCore.QMimeData) -> Path | None:
    """The one local package file in a drag, or None (several files, or not a file)."""
    urls = [u for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
    if len(urls) != 1:
        return None
    return Path(urls[0].toLocalFile())
