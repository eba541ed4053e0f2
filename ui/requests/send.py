"""Making sealed packages for a request or a response (DESIGN.md, "Honest states"): first what
will go to whom and to which secure e-mail address, then the package files made, each with the
address to attach it to. Nothing here says "sent": a package is made, and the SPOC sends it.
The rules are app.exchange.packages (send_plan, send)."""

from __future__ import annotations

from pathlib import Path

from app.exchange import packages
from app.timeutil import utc_now_iso
from ui.kit.clipboard import copy_text
from ui.kit.dialogs import error_text
from ui.kit.formatting import documents_folder, plural, uk_time
from ui.kit.passphrase_dialog import FittedDialog
from ui.kit.widgets import (SUCCESS_STYLE, ErrorSummary, announce, bold_label, frameless_scroll, heading, hint_label,
                            plain_label)
from ui.qt import QtCore, QtGui, QtWidgets, Signal
from ui.worker import Op
from ui.kit import theme


class SendPackagesDialog(FittedDialog):
    """One sealed package per recipient desk for `ref` (a request reference, or REF/AGENCY for
    this desk's response), into a folder the user chooses. Its wrapped text is never clipped: the
    window is as tall as the text needs at its width (FittedDialog), and the packages' lines
    scroll when there are more than the screen holds."""

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._size_lines()
        super().showEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._size_lines()

    def _size_lines(self) -> None:
        """The lines' scroll area asks for all its text up to half the screen, then scrolls."""
        body = self.lines_scroll.widget()
        width = max(100, self.lines_scroll.viewport().width() or self.width() - 40)
        needed = body.heightForWidth(width) if body.hasHeightForWidth() else body.sizeHint().height()
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        cap = screen.availableGeometry().height() // 2 if screen is not None else 500
        height = max(60, min(needed, cap))
        if self.lines_scroll.minimumHeight() != height:
            self.lines_scroll.setMinimumHeight(height)

    made = Signal(list)  # of app.exchange.packages.MadePackage

    def __init__(self, session, ref: str, agencies: list[str], parent: QtWidgets.QWidget | None = None, *,
                 purpose: str | None = None):
        super().__init__(parent)
        self.session = session
        self.ref = ref
        self.purpose = purpose  # the 4.3 purpose written consent must cover (section 6), or the request's
        self.result: list = []
        self.setWindowTitle(f"Make packages for {ref}")
        self.setModal(True)
        self.setMinimumWidth(620)
        self.plan = packages.send_plan(session.vault, ref, agencies, purpose=purpose)
        self.ready = [item for item in self.plan if item.problem is None]
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        self.title = heading(f"Make sealed packages for {ref}?", 2)
        layout.addWidget(self.title)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.intro = plain_label(
            "Each package is signed by this desk and readable only by the desk it is for. It is recorded in the "
            "disclosure register when it is made; it reaches the partner only when you attach it to a secure "
            "e-mail to the address shown.")
        layout.addWidget(self.intro)
        self.lines_scroll = frameless_scroll()
        lines_body = QtWidgets.QWidget()
        self.lines_scroll.setWidget(lines_body)
        self.lines = QtWidgets.QVBoxLayout(lines_body)
        self.lines.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.lines_scroll, 1)
        for item in self.plan:
            self.lines.addWidget(bold_label(item.agency_name))
            text = item.what + (f"\nAttach to secure e-mail to: {item.email}" if item.email else
                                "\nNo secure e-mail contact recorded for this partner: add one under Partners.")
            if item.email_warning:
                text += f"\nWarning: {item.email_warning}"
            if item.problem:
                text += f"\nCannot be made: {item.problem}"
            label = plain_label(text, selectable=True)
            label.setAccessibleName(f"Package for {item.agency_name}")
            if item.problem:
                theme.style(label, "color: {danger};")
            self.lines.addWidget(label)
        folder_row = QtWidgets.QHBoxLayout()
        self.folder = QtWidgets.QLineEdit(str(documents_folder()))
        self.folder.setAccessibleName("Folder for the package files")
        folder_label = bold_label("&Folder")
        folder_label.setBuddy(self.folder)
        choose = QtWidgets.QPushButton("C&hoose…")
        choose.clicked.connect(self._choose_folder)
        folder_row.addWidget(folder_label)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        self.folder_widgets = QtWidgets.QWidget()
        self.folder_widgets.setLayout(folder_row)
        layout.addWidget(self.folder_widgets)
        self.folder_hint = hint_label("Keep package files out of synced folders (OneDrive, Dropbox); delete them "
                                      "once the e-mail has gone.")
        layout.addWidget(self.folder_hint)
        self.results = QtWidgets.QVBoxLayout()
        layout.addLayout(self.results)
        buttons = QtWidgets.QHBoxLayout()
        self.show_folder_button = QtWidgets.QPushButton("Show in &folder")
        self.show_folder_button.hide()
        self.show_folder_button.clicked.connect(self._show_folder)
        buttons.addWidget(self.show_folder_button)
        buttons.addStretch(1)
        self.make_button = QtWidgets.QPushButton(f"&Make {plural(len(self.ready), 'package')}")
        self.make_button.setDefault(True)
        self.make_button.setEnabled(bool(self.ready))
        self.make_button.clicked.connect(self.make)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

    def _choose_folder(self) -> None:
        found = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the package files", self.folder.text())
        if found:
            self.folder.setText(found)

    def make(self) -> None:
        folder = Path(self.folder.text().strip())
        agencies = [item.agency for item in self.ready]
        self.make_button.setEnabled(False)
        vault, ref, purpose = self.session.vault, self.ref, self.purpose
        Op(self, lambda: packages.send(vault, ref, agencies, folder, purpose=purpose), "No package was made.") \
            .success(self._done).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        self.summary.show_problems([(self.folder, error_text(exc, "No package was made.") + " Nothing was made.")])
        self.summary.setFocus()

    def _done(self, made: list) -> None:
        self.result = made
        self.summary.show_problems([])
        title = f"{plural(len(made), 'package')} made {uk_time(utc_now_iso())} — attach to secure e-mail"
        self.intro.setText("Nothing has left this machine yet. Attach each file to a secure e-mail to the address "
                           "shown; the partner's desk sends back a receipt, which marks it delivered here.")
        theme.style(self.intro, SUCCESS_STYLE)
        self.folder_widgets.hide()
        self.folder_hint.hide()
        while self.lines.count():
            widget = self.lines.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.lines_scroll.hide()   # the made packages are listed below instead
        for package in made:
            row = QtWidgets.QHBoxLayout()
            label = plain_label(f"{package.file_name}\n→ {package.email or 'no secure e-mail contact recorded'}",
                                selectable=True)
            label.setAccessibleName(f"Package {package.file_name}")
            row.addWidget(label, 1)
            if package.email:
                copy = QtWidgets.QPushButton("&Copy address")
                copy.setAccessibleName(f"Copy the address for {package.agency}")
                copy.clicked.connect(lambda _=False, a=package.email: copy_text(a))
                row.addWidget(copy)
            holder = QtWidgets.QWidget()
            holder.setLayout(row)
            self.results.addWidget(holder)
        self.show_folder_button.show()
        self.make_button.hide()
        self.cancel_button.setText("&Done")
        self.cancel_button.clicked.disconnect()
        self.cancel_button.clicked.connect(self.accept)
        announce(self.title, title)   # the focus on what happened (a screen reader reads it), not on Done
        self.made.emit(made)

    def _show_folder(self) -> None:
        if self.result:
            QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(Path(self.result[0].path).parent)))
