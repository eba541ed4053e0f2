"""The create-vault wizard: location and agency, the first administrator with a strength meter
that blocks weak passphrases, creation off the GUI thread, and the recovery key shown once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.vault import Vault
from app.vault.keyslots import keyslot_path
from conftest import PASSPHRASE
from ui.shell.create_wizard import CreateVaultWizard, default_vault_path, display_recovery_key
from ui.kit.passphrase import PassphraseMeter
from ui.qt import QtGui, QtPrintSupport, QtWidgets, Qt

Button = QtWidgets.QWizard.WizardButton


@pytest.fixture
def wizard(qtbot, tmp_path):
    w = CreateVaultWizard(folder=tmp_path)
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.vault is not None:
        w.vault.close()


def _fill_location(w, path: Path, agency: str = "DCON") -> None:
    w.location_page.path_edit.setText(str(path))
    w.location_page.agency.setCurrentIndex(w.location_page.agency.findData(agency))


def _fill_admin(w, name: str = "alice", passphrase: str = PASSPHRASE, confirm: str | None = None) -> None:
    w.admin_page.name.setText(name)
    w.admin_page.fields.passphrase.setText(passphrase)
    w.admin_page.fields.confirm.setText(passphrase if confirm is None else confirm)


def _create(qtbot, w, path: Path) -> None:
    _fill_location(w, path)
    w.next()
    assert w.currentId() == w.ADMIN
    _fill_admin(w)
    w.next()
    qtbot.waitUntil(lambda: w.currentId() == w.RECOVERY, timeout=10_000)


def test_meter_words_and_blocking(qtbot):
    meter = PassphraseMeter()
    meter.set_passphrase("")
    assert not meter.acceptable()
    meter.set_passphrase("abc")
    assert meter.strength() == "Too weak" and not meter.acceptable()
    meter.set_passphrase("password password")
    assert not meter.acceptable()
    meter.set_passphrase(PASSPHRASE)
    assert meter.strength() in ("Good", "Strong") and meter.acceptable()


def test_meter_uses_the_core_estimator_with_the_users_name_and_agency(qtbot):
    """Issue 16: character classes count for nothing; names, places and years are tried first."""
    meter = PassphraseMeter()
    for weak in ("Summer2026!!", "Derby2026!!!", "police123456"):
        meter.set_passphrase(weak)
        assert not meter.acceptable() and meter.strength() in ("Too weak", "Weak"), weak
    meter.set_passphrase("dcon okonkwo derby")
    assert meter.acceptable()
    meter.set_user_inputs(("margaret.okonkwo", "DCON"))   # her own name and agency: refused for her
    assert not meter.acceptable()
    assert "too easy to guess" in meter.reason.text()


def test_a_cloud_synced_folder_is_refused_on_the_location_page(qtbot, tmp_path):
    from ui.shell.create_wizard import location_problem

    synced = tmp_path / "OneDrive - Derbyshire Constabulary"
    synced.mkdir()
    problem = location_problem(str(synced / "desk.vault"))
    assert problem and "OneDrive" in problem
    assert location_problem(str(tmp_path / "desk.vault")) is None


def test_wizard_creates_a_vault_end_to_end(qtbot, wizard, tmp_path):
    path = tmp_path / "desk.vault"
    assert default_vault_path(tmp_path).parent == tmp_path
    _create(qtbot, wizard, path)
    key = wizard.recovery_key
    assert key and path.exists() and keyslot_path(path).exists()
    # Shown once, big and read-only, in groups a person can copy by hand.
    view = wizard.recovery_page.key_view
    assert view.isReadOnly() and view.toPlainText() == display_recovery_key(key)
    finish = wizard.button(Button.FinishButton)
    assert not finish.isEnabled()                    # blocked until the stored box is ticked
    wizard.recovery_page.stored.setChecked(True)
    assert finish.isEnabled()
    with qtbot.waitSignal(wizard.vault_created) as signal:
        qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    vault = signal.args[0]
    try:
        assert vault.is_open and vault.user.name == "alice" and vault.role == "admin"
        assert vault.agency == "DCON"
        assert view.toPlainText() == "" and wizard.recovery_key is None   # not kept after Finish
    finally:
        vault.close()
    # The recovery key shown really opens the vault, and so does the passphrase.
    Vault.open_with_recovery(path, key).close()
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()


def test_weak_passphrase_is_blocked_with_a_message(qtbot, wizard, tmp_path):
    _fill_location(wizard, tmp_path / "desk.vault")
    wizard.next()
    _fill_admin(wizard, passphrase="kettle")
    wizard.next()
    assert wizard.currentId() == wizard.ADMIN
    assert wizard.admin_page.fields.meter.strength() == "Too weak"
    assert "stronger passphrase" in wizard.admin_page.fields.passphrase_row.error.text()
    assert wizard.admin_page.summary.isVisibleTo(wizard)
    _fill_admin(wizard, confirm="something else entirely")
    wizard.next()
    assert wizard.currentId() == wizard.ADMIN
    assert "do not match" in wizard.admin_page.fields.confirm_row.error.text()
    assert not (tmp_path / "desk.vault").exists()


def test_existing_file_and_missing_agency_are_refused(qtbot, wizard, tmp_path):
    existing = tmp_path / "old.vault"
    existing.write_bytes(b"x")
    wizard.location_page.path_edit.setText(str(existing))
    wizard.next()
    assert wizard.currentId() == wizard.LOCATION
    assert "already exists" in wizard.location_page.path_row.error.text()
    assert "Choose this desk's agency" in wizard.location_page.summary.messages()
    assert existing.read_bytes() == b"x"


def test_cancel_after_creation_keeps_the_vault(qtbot, wizard, tmp_path):
    path = tmp_path / "desk.vault"
    _create(qtbot, wizard, path)
    vault = wizard.vault
    wizard.reject()
    assert not vault.is_open and wizard.vault is None
    assert path.exists() and keyslot_path(path).exists()
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()


def test_the_recovery_key_is_shown_and_printed_never_copied(qtbot, wizard, tmp_path):
    path = tmp_path / "<b>desk&amp;.vault"
    _create(qtbot, wizard, path)
    key = wizard.recovery_key
    page = wizard.recovery_page
    assert not hasattr(page, "copy_button")
    assert not page.key_view.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    QtGui.QGuiApplication.clipboard().clear()
    page.key_view.setFocus()
    qtbot.keyClick(page.key_view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.key_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert key not in QtGui.QGuiApplication.clipboard().text()
    sheet = wizard.recovery_sheet()
    text = PdfReader(io.BytesIO(sheet.data)).pages[0].extract_text()
    assert text.count("OFFICIAL-SENSITIVE") >= 2 and "Page 1 of 1" in text
    assert "<b>desk&amp;.vault" in text                # file name printed as text, not markup
    assert "Derbyshire Constabulary" in text
    flat = "".join(text.split())
    groups = key.split("-")
    assert "".join(groups) in flat  # every group, in order, nothing between them
    assert display_recovery_key(key).splitlines()[0].split("-") == groups[:3]
    printed = tmp_path / "printed.pdf"
    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(printed))
    wizard.print_recovery_sheet_to(printer)
    assert len(PdfReader(printed).pages) == 1
    actions = [r["action"] for r in wizard.vault.db.query("SELECT action FROM audit_events")]
    assert "recovery_key.copied" not in actions and "recovery_key.printed" in actions


def test_every_input_has_an_accessible_name(wizard):
    for page in (wizard.location_page, wizard.admin_page, wizard.recovery_page):
        for widget in page.findChildren(QtWidgets.QWidget):
            if isinstance(widget, (QtWidgets.QLineEdit, QtWidgets.QComboBox, QtWidgets.QCheckBox,
                                   QtWidgets.QPlainTextEdit)) and not isinstance(widget.parent(), QtWidgets.QComboBox):
                assert widget.accessibleName(), widget


def test_another_partnerships_agreement_offers_its_partners_and_is_kept(qtbot, wizard, tmp_path):
    from app import governance

    page = wizard.location_page
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert not page.use_agreement(bad) and "bad.json" in page.agreement_row.error.text()
    assert page.agency.findData("DCON") >= 0  # nothing changed
    wessex = Path(__file__).parents[1] / "data" / "wessex-vale.json"
    assert page.use_agreement(wessex)
    assert page.agency.findData("DCON") == -1 and page.agency.findData("WVCC") >= 0
    path = tmp_path / "w.vault"
    page.path_edit.setText(str(path))
    page.agency.setCurrentIndex(page.agency.findData("WVCC"))
    wizard.next()
    _fill_admin(wizard)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.RECOVERY, timeout=10_000)
    assert governance.current_record(wizard.vault).short_name == "Wessex Vale Protocol"
