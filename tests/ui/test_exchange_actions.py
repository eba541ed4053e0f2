"""File > Import and File > Export whole vault: off the GUI thread, all or nothing, plain words."""

from __future__ import annotations

import json

import pytest

from app import exchange
from app import requests as rq
from desk_helpers import make_desk, reopen_as, request_data
from ui.exchange.actions import ExportVaultDialog, ImportDialog, export_whole_vault, import_exchange_file
from ui.qt import QtWidgets, Qt
from fake_session import FakeSession


@pytest.fixture
def files(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(police, request_data())
    rq.send_to_agencies(police, request.id, ["HMRC", "DCC/CSIS"])
    good = tmp_path / "good.json"       # a whole-vault file, as for moving this desk
    police = reopen_as(police, "alice")  # the administrator exports the whole vault
    exchange.write_file(exchange.export_vault(police), good)
    bad_doc = json.loads(good.read_text(encoding="utf-8"))
    bad_doc["requests"][0]["dispatches"][1]["status"] = "lost-in-the-post"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc), encoding="utf-8")
    police.close()
    return good, bad


@pytest.fixture
def partner(tmp_path):
    vault = make_desk(tmp_path / "dcc.vault", agency="DCC")
    yield vault
    if vault.is_open:
        vault.close()


def choose_file(monkeypatch, path):
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))


def test_bad_record_changes_nothing_and_is_named(qtbot, monkeypatch, files, tmp_path):
    _good, bad = files
    partner = make_desk(tmp_path / "new-dcon.vault", role="admin")   # the new, empty vault of the same desk
    before = partner.chain_head().seq
    choose_file(monkeypatch, bad)
    dialog = import_exchange_file(None, FakeSession(partner))
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ImportDialog)
    qtbot.waitUntil(lambda: dialog.ok is not None, timeout=10_000)
    assert dialog.ok is False
    text = dialog.result.text()
    assert "nothing was changed" in text.lower()
    assert "requests[0] MSR-2026-0001: dispatches[1].status" in text
    assert dialog.heading.text() == "The file was not imported"
    assert partner.db.scalar("SELECT count(*) FROM requests") == 0
    assert partner.chain_head().seq == before     # not even an import event
    assert dialog.close_button.isEnabled()
    partner.close()


def test_good_file_is_imported_off_the_gui_thread(qtbot, monkeypatch, files, tmp_path):
    good, _bad = files
    partner = make_desk(tmp_path / "new-dcon.vault", role="admin")   # the new, empty vault of the same desk
    choose_file(monkeypatch, good)
    dialog = import_exchange_file(None, FakeSession(partner))
    qtbot.addWidget(dialog)
    assert dialog.busy and dialog.progress.isVisible() and not dialog.close_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as signal:
        pass
    assert signal.args[0].requests_added == 1
    assert dialog.ok is True and "MSR-2026-0001" in dialog.result.text()
    assert not dialog.progress.isVisible()
    assert partner.db.scalar("SELECT count(*) FROM requests") == 1
    # the summary in whole sentences, and a button to open what arrived
    text = dialog.result.text()
    assert text.startswith("1 request was added. 3 subjects were added. 2 agencies asked were added.")
    assert "The request is MSR-2026-0001." in text
    assert ", 0 " not in text and "(0 updated)" not in text
    assert dialog.open_button.isVisible() and dialog.open_button.text() == "&Open request"
    with qtbot.waitSignal(dialog.open_request) as opened:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == ["MSR-2026-0001"]
    partner.close()


def test_cancelled_file_choice_does_nothing(monkeypatch, tmp_path, qtbot):
    partner = make_desk(tmp_path / "new-dcon.vault", role="admin")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    assert import_exchange_file(None, FakeSession(partner)) is None
    partner.close()


def test_whole_vault_export_is_for_administrators(qtbot, monkeypatch, partner, tmp_path):
    box = export_whole_vault(None, FakeSession(partner))      # bob is a SPOC
    qtbot.addWidget(box)
    assert isinstance(box, QtWidgets.QMessageBox) and "Only an administrator" in box.text()

    admin = make_desk(tmp_path / "admin.vault", agency="DCC", role="admin")
    dialog = export_whole_vault(None, FakeSession(admin))
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ExportVaultDialog)
    assert "NOT encrypted" in dialog.text.text() and "personal data" in dialog.text.text()
    assert not dialog.choose_button.isEnabled()          # an unencrypted file needs the typed word
    qtbot.keyClicks(dialog.confirm, "UNENCRYPTED")
    name = dialog.default_name()
    assert name.startswith("spocdesk-DCC-vault-") and name.endswith(".json")
    asked = {}

    def fake_save(parent, caption, start, filters):
        asked["start"] = start
        return str(tmp_path / name), filters

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(fake_save))
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert asked["start"].endswith(name)
    doc = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert doc["scope"] == "vault" and doc["desk"]["agency"] == "DCC"
    assert dialog.ok is True and dialog.result.text().startswith(f"Saved {name}")
    admin.close()
