"""Create a vault: where to keep it and whose desk it is, the first administrator, the vault is
made off the GUI thread, then the recovery key is shown once (to write down or print, never
copied) and the user confirms they stored it. Finish hands the open vault to the shell; Cancel after creation keeps the files."""

from __future__ import annotations

from pathlib import Path

from app.agreement import load_agreement
from app.errors import SpocError
from app.vault import Vault
from app.vault.keyslots import keyslot_path
from app.vault.location import default_folder, synced_reason
from app.vault.vault import user_name_problem
from ui.kit import config
from ui.kit.dialogs import error_text
from ui.kit.fields import LineBox
from ui.kit.passphrase import NewPassphraseFields
from ui.qt import QtCore, QtGui, QtPdf, QtPrintSupport, QtWidgets, Qt, Signal
from ui.kit.widgets import ErrorSummary, FieldRow, frameless_scroll, plain_label
from ui.worker import Op
from ui.kit import theme

VAULT_SUFFIX = ".vault"
FILE_FILTER = "SPOC Desk vaults (*.vault);;All files (*)"


def default_vault_path(folder: Path | None = None) -> Path:
    """A free file name in the user's data folder: spoc-desk.vault, spoc-desk-2.vault, ..."""
    folder = Path(folder) if folder else default_folder()
    candidate = folder / f"spoc-desk{VAULT_SUFFIX}"
    n = 2
    while candidate.exists() or keyslot_path(candidate).exists():
        candidate = folder / f"spoc-desk-{n}{VAULT_SUFFIX}"
        n += 1
    return candidate


def location_problem(text: str) -> str | None:
    """Why a vault cannot be created at `text`, or None."""
    text = text.strip()
    if not text:
        return "Enter where to keep the vault"
    path = Path(text).expanduser()
    if not path.name or path.name.startswith("."):
        return "Enter a file name for the vault, such as spoc-desk.vault"
    if not path.parent.is_dir():
        return "That folder does not exist; choose a folder that does"
    if path.exists() or keyslot_path(path).exists():
        return "A file with that name already exists; choose a new name so nothing is overwritten"
    synced = synced_reason(path.parent)
    if synced:
        return (f"That folder is {synced}: a sync client or a second computer corrupts a live vault; "
                "choose a folder on this computer's own disk")
    return None


def _page_layout(page: QtWidgets.QWizardPage) -> QtWidgets.QVBoxLayout:
    """The page's one column, inside a scroll area so nothing is squeezed at 150 % scaling."""
    outer = QtWidgets.QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = frameless_scroll()
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    content = QtWidgets.QWidget()
    scroll.setWidget(content)
    outer.addWidget(scroll)
    layout = QtWidgets.QVBoxLayout(content)
    layout.setContentsMargins(8, 4, 12, 4)
    layout.setSpacing(6)
    return layout


def display_recovery_key(key: str) -> str:
    """Three lines of three groups, easier to copy by hand (spaces and line breaks are ignored
    when the key is typed back)."""
    groups = key.split("-")
    return "\n".join("-".join(groups[i:i + 3]) for i in range(0, len(groups), 3))


class LocationPage(QtWidgets.QWizardPage):
    def __init__(self, folder: Path | None = None):
        super().__init__()
        self.setTitle("Where to keep the vault, and whose desk it is")
        self.setSubTitle("The vault is one encrypted file, with a small key file beside it. Keep both "
                         "on this workstation's own disk, not a shared drive.")
        layout = _page_layout(self)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)

        self.path_edit = QtWidgets.QLineEdit(str(default_vault_path(folder)))
        self.browse = QtWidgets.QPushButton("&Choose…")
        self.browse.setAccessibleName("Choose where to keep the vault")
        self.browse.clicked.connect(self._choose)
        path_box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(path_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        self.path_row = FieldRow("&Vault file", path_box,
                                 "A new file; SPOC Desk never overwrites an existing one.")
        self.path_row.label.setBuddy(self.path_edit)
        self.path_edit.setAccessibleName("Vault file")
        self.path_edit.setAccessibleDescription("A new file; SPOC Desk never overwrites an existing one.")
        self.path_edit.textChanged.connect(lambda _t: self.path_row.set_error(None))
        layout.addWidget(self.path_row)

        # Issue 20: the agreement the vault will work under (the shipped one unless another
        # partnership's file is chosen); the agencies offered are that agreement's partners.
        self.agreement_file: Path | None = None
        self.agreement_text = plain_label(load_agreement(None).info.title)
        self.agreement_button = QtWidgets.QPushButton("Use another agreement &file…")
        self.agreement_button.setAccessibleName("Use another partnership's agreement file")
        self.agreement_button.clicked.connect(self._choose_agreement)
        agreement_box = QtWidgets.QWidget()
        agreement_row = QtWidgets.QHBoxLayout(agreement_box)
        agreement_row.setContentsMargins(0, 0, 0, 0)
        agreement_row.addWidget(self.agreement_text, 1)
        agreement_row.addWidget(self.agreement_button)
        self.agreement_row = FieldRow("The agreement", agreement_box, "The vault keeps this agreement for good; "
                                      "a later version of it is adopted under Governance.")
        layout.addWidget(self.agreement_row)

        self.agency = QtWidgets.QComboBox()
        self.agency.setPlaceholderText("Choose this desk's agency")
        self._fill_agencies(load_agreement(None))
        self.agency.currentIndexChanged.connect(lambda _i: self.agency_row.set_error(None))
        self.agency_row = FieldRow("This desk's &agency", self.agency,
                                   "The partner agency whose staff use this desk. It appears on every "
                                   "request, response and printout, and cannot be changed later.")
        layout.addWidget(self.agency_row)
        layout.addStretch(1)
        self.registerField("vault_path", self.path_edit)

    def _choose(self) -> None:
        current = Path(self.path_edit.text().strip() or str(default_vault_path()))
        chosen, _filter = QtWidgets.QFileDialog.getSaveFileName(
            self, "Where to keep the vault", str(current), FILE_FILTER,
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite)
        if chosen:
            path = Path(chosen)
            if not path.suffix:
                path = path.with_suffix(VAULT_SUFFIX)
            self.path_edit.setText(str(path))

    def path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def _fill_agencies(self, agreement) -> None:
        self.agency.clear()
        for partner in agreement.partners:
            self.agency.addItem(f"{partner.name} ({partner.code})", partner.code)
        self.agency.setCurrentIndex(-1)

    def _choose_agreement(self) -> None:
        chosen, _filter = QtWidgets.QFileDialog.getOpenFileName(self, "Another partnership's agreement file", "",
                                                                "Agreement files (*.json)")
        if chosen:
            self.use_agreement(Path(chosen))

    def use_agreement(self, path: Path) -> bool:
        """Offer the partners of the agreement in `path`; a bad file is named and changes nothing."""
        from app.errors import SpocError
        from app.governance import read_new_agreement

        try:
            _text, agreement = read_new_agreement(path)
        except SpocError as exc:
            self.agreement_row.set_error(str(exc))
            return False
        self.agreement_row.set_error(None)
        self.agreement_file = path
        self.agreement_text.setText(f"{agreement.info.title} ({path.name})")
        self._fill_agencies(agreement)
        return True

    def agency_code(self) -> str | None:
        return self.agency.currentData()

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        found = []
        problem = location_problem(self.path_edit.text())
        self.path_row.set_error(problem)
        if problem:
            found.append((self.path_edit, problem))
        if self.agency_code() is None:
            message = "Choose this desk's agency"
            self.agency_row.set_error(message)
            found.append((self.agency, message))
        self.summary.show_problems(found)
        if found:
            found[0][0].setFocus()
        return not found


class AdminPage(QtWidgets.QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("The first administrator")
        self.setSubTitle("You will be this desk's administrator: you add the other users and set "
                         "the vault's policy.")
        layout = _page_layout(self)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.name = LineBox(max_length=64)
        self.name_row = FieldRow("Your &user name", self.name,
                                 "2 to 64 letters, digits, dots, hyphens or underscores, such as j.smith. "
                                 "It is recorded in the audit trail with everything you do.")
        self.name.textChanged.connect(lambda _t: self.name_row.set_error(None))
        layout.addWidget(self.name_row)
        self.fields = NewPassphraseFields(
            label="&Passphrase",
            hint="Only you should know it. Nobody, not even an administrator, can read it back.")
        layout.addWidget(self.fields)
        layout.addStretch(1)
        self.name.textChanged.connect(self._user_inputs)
        self.setCommitPage(True)
        self.setButtonText(QtWidgets.QWizard.WizardButton.CommitButton, "C&reate vault")

    def _user_inputs(self, _text: str = "") -> None:
        wizard = self.wizard()
        page = getattr(wizard, "location_page", None)
        agency = page.agency_code() if page is not None else None
        self.fields.set_user_inputs((self.name.text().strip(), agency or ""))

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        super().initializePage()
        self._user_inputs()

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        found = []
        name = self.name.text().strip()
        message = None
        if not name:
            message = "Enter your user name"
        else:
            message = user_name_problem(name)
        self.name_row.set_error(message)
        if message:
            found.append((self.name, message))
        found += self.fields.validate()
        self.summary.show_problems(found)
        if found:
            found[0][0].setFocus()
        return not found


class CreatingPage(QtWidgets.QWizardPage):
    """Makes the vault in the background, then moves on by itself."""

    def __init__(self):
        super().__init__()
        self.setTitle("Creating the vault")
        self.setSubTitle("This takes a few seconds: your passphrase is turned into a key that is slow "
                         "to guess.")
        layout = _page_layout(self)
        self.status = plain_label("Creating the vault…")
        layout.addWidget(self.status)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Creating the vault")
        layout.addWidget(self.progress)
        self.error = plain_label("")
        theme.style(self.error, "color: {danger}; font-weight: bold;")
        self.error.hide()
        layout.addWidget(self.error)
        self.retry = QtWidgets.QPushButton("&Try again")
        self.retry.hide()
        self.retry.clicked.connect(self.start)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.setCommitPage(True)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.start()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.wizard() is not None and self.wizard().vault is not None

    def start(self) -> None:
        self.error.hide()
        self.retry.hide()
        self.progress.show()
        self.status.setText("Creating the vault…")
        self.wizard().start_creation()

    def show_failure(self, text: str) -> None:
        self.progress.hide()
        self.status.setText("The vault was not created.")
        self.error.setText(text)
        self.error.show()
        self.retry.show()
        self.retry.setFocus()


class RecoveryPage(QtWidgets.QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("Your recovery key")
        self.setSubTitle("This is the only time the recovery key is shown.")
        layout = _page_layout(self)
        layout.addWidget(plain_label(
            "If every administrator forgets their passphrase, the recovery key is the only way "
            "back into the vault. Print it or write it down, and give it to your Data Protection "
            "Manager to keep in a locked safe. Do not keep it on this computer or send it by e-mail."))
        self.key_view = QtWidgets.QPlainTextEdit()
        self.key_view.setReadOnly(True)
        self.key_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10) * 1.6)
        font.setBold(True)
        self.key_view.setFont(font)
        self.key_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.key_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.key_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.key_view.setFixedHeight(int(QtGui.QFontMetrics(font).lineSpacing() * 3) + 36)
        self.key_view.setAccessibleName("Recovery key")
        self.key_view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        layout.addWidget(self.key_view)
        # Shown and printed, never copied: a clipboard can be read by other programs, kept in a
        # history or synced to other devices (issue 16).
        self.key_view.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        buttons = QtWidgets.QHBoxLayout()
        self.print_button = QtWidgets.QPushButton("&Print…")
        self.print_button.setAccessibleName("Print the recovery key")
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(plain_label("It cannot be copied: write it down or print it."))
        self.copied = plain_label("")  # what printing did
        theme.style(self.copied, "color: {ok};")
        layout.addWidget(self.copied)
        self.stored = QtWidgets.QCheckBox("I have &stored the recovery key somewhere safe")
        self.stored.setAccessibleName("I have stored the recovery key somewhere safe")
        self.stored.toggled.connect(self.completeChanged)
        layout.addSpacing(8)
        layout.addWidget(self.stored)
        layout.addStretch(1)
        self.print_button.clicked.connect(self._print)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.key_view.setPlainText(display_recovery_key(self.wizard().recovery_key or ""))
        self.stored.setChecked(False)

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.stored.isChecked()

    def _print(self) -> None:
        self.wizard().print_recovery_key()


class CreateVaultWizard(QtWidgets.QWizard):
    """Emits `vault_created(vault)` on Finish with the open Vault, which the caller then owns."""

    vault_created = Signal(object)
    LOCATION, ADMIN, CREATING, RECOVERY = range(4)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, folder: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Create a vault — SPOC Desk")
        self.setWizardStyle(QtWidgets.QWizard.WizardStyle.ClassicStyle)
        self.setOption(QtWidgets.QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QtWidgets.QWizard.WizardOption.NoDefaultButton, False)
        self.setMinimumSize(640, 600)
        self.vault: Vault | None = None
        self.recovery_key: str | None = None
        self.created_path: Path | None = None
        self._creating = False
        self._cancelled = False
        self._handed_over = False
        self._print_dialog = None
        self.location_page = LocationPage(folder)
        self.admin_page = AdminPage()
        self.creating_page = CreatingPage()
        self.recovery_page = RecoveryPage()
        self.setPage(self.LOCATION, self.location_page)
        self.setPage(self.ADMIN, self.admin_page)
        self.setPage(self.CREATING, self.creating_page)
        self.setPage(self.RECOVERY, self.recovery_page)
        self.setButtonText(QtWidgets.QWizard.WizardButton.FinishButton, "&Finish and open the vault")

    # ---- creating --------------------------------------------------------------------------

    def start_creation(self) -> None:
        if self._creating or self.vault is not None:
            return
        path = self.location_page.path()
        agency = self.location_page.agency_code()
        user = self.admin_page.name.text().strip()
        passphrase = self.admin_page.fields.value()
        self._creating = True
        self.button(QtWidgets.QWizard.WizardButton.CancelButton).setEnabled(False)

        def work():
            return Vault.create(path, user=user, passphrase=passphrase, agency=agency,
                                agreement_file=self.location_page.agreement_file)

        Op(self, work, "Something went wrong while creating the vault; nothing was kept. Try again.") \
            .success(self._created).failure(self._failed).abandoned(_close_created).run()

    def _created(self, result) -> None:
        vault, recovery_key = result
        self._creating = False
        if self._cancelled:
            vault.close(reason="create wizard cancelled")
            return
        self.vault = vault
        self.recovery_key = recovery_key
        self.created_path = Path(vault.path)
        config.remember_vault(self.created_path)
        self.admin_page.fields.clear()
        self.button(QtWidgets.QWizard.WizardButton.CancelButton).setEnabled(True)
        self.creating_page.completeChanged.emit()
        if self.currentId() == self.CREATING:
            self.next()

    def _failed(self, exc: BaseException) -> None:
        self._creating = False
        self.button(QtWidgets.QWizard.WizardButton.CancelButton).setEnabled(True)
        text = error_text(exc, "Something went wrong while creating the vault; nothing was kept. Try again.")
        self.creating_page.show_failure(text)

    # ---- the recovery key ------------------------------------------------------------------

    def agency_label(self) -> str:
        if self.vault is None:
            return ""
        code = self.vault.agency
        for partner in load_agreement().partners:
            if partner.code == code:
                return f"{partner.name} ({code})"
        return code

    def recovery_sheet(self):
        """The recovery-key sheet on the OFFICIAL-SENSITIVE template (built in memory, never stored)."""
        from app.reports import recovery_key_sheet

        return recovery_key_sheet(self.vault, self.recovery_key or "")

    def print_recovery_key(self) -> None:
        printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
        printer.setDocName("SPOC Desk recovery key")
        dialog = QtPrintSupport.QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the recovery key")
        self._print_dialog = dialog
        dialog.accepted.connect(lambda: self.print_recovery_sheet_to(printer))
        dialog.open()

    def print_recovery_sheet_to(self, printer) -> None:
        from ui.kit.preview import print_pdf

        data = QtCore.QByteArray(self.recovery_sheet().data)
        buffer = QtCore.QBuffer(data)
        buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
        document = QtPdf.QPdfDocument()
        document.load(buffer)
        try:
            print_pdf(document, printer)
        except OSError:
            self.recovery_page.copied.setText("The printer could not be started. Check it and try again.")
            return
        finally:
            document.close()
            buffer.close()
            data.clear()
        self._audit("recovery_key.printed")
        self.recovery_page.copied.setText("Sent to the printer. Collect the page at once.")

    def _audit(self, action: str) -> None:
        if self.vault is not None and self.vault.is_open:
            try:
                self.vault.audit(action, record_type="vault", record_id=self.vault.vault_id)
            except SpocError:
                pass

    # ---- finishing -------------------------------------------------------------------------

    def _forget_key(self) -> None:
        self.recovery_key = None
        self.recovery_page.key_view.clear()

    def accept(self) -> None:
        if self.vault is None or not self.recovery_page.stored.isChecked():
            return
        vault = self.vault
        self._forget_key()
        self._handed_over = True
        self.vault = None
        super().accept()
        self.vault_created.emit(vault)

    def reject(self) -> None:
        if self._creating:
            # The vault is being written; let it finish, then close it (the files are kept).
            self._cancelled = True
        if self.vault is not None and not self._handed_over:
            self.vault.close(reason="create wizard cancelled")
            self.vault = None
        self._forget_key()
        self.admin_page.fields.clear()
        super().reject()


def _close_created(result) -> None:
    """A vault created after its wizard had gone: close it (it stays on disk, listed nowhere)."""
    vault, _recovery_key = result
    vault.close(reason="create wizard cancelled")
