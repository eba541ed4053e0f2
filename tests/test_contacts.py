"""Partners directory (App. 4a, App. 4), partner suspensions (13.2) and hidden-character checks."""

from __future__ import annotations

import pytest

from app import contacts as ct
from app import suspensions, textcheck
from app.errors import AuthError, InvalidInput
from app.records import Invalid
from desk_helpers import make_desk, reopen_as


@pytest.fixture
def admin(vault_path):
    vault = make_desk(vault_path, role="admin")
    yield vault
    if vault.is_open:
        vault.close()


def test_email_suffix_warning():
    assert ct.email_warning("jo@derbyshire.pnn.police.uk") is None
    assert ct.email_warning("jo@nhs.net", "nhs-net") is None
    warning = ct.email_warning("jo@gmail.com")
    assert "approved secure e-mail channel" in warning and "@pnn.police.uk" in warning
    assert "nhs.net" in ct.email_warning("jo@derbyshire.pnn.police.uk", "nhs-net")
    assert ct.email_warning("jo@dwp.gov.uk", "government-connect") is None  # no suffixes listed


def test_admin_manages_contacts_with_warning(admin):
    contact = ct.add_contact(admin, {"partner": "DCC", "sub_service": "CSIS", "name": "Sam Lee",
                                     "team": "Community Safety", "email": "sam@derby.gov.uk", "channel": "cjsm"})
    assert contact.warning and "CJSM" in contact.warning
    updated = ct.update_contact(admin, contact.id, {"email": "sam@derby.gcsx.gov.uk"})
    assert updated.name == "Sam Lee"
    entry = next(e for e in ct.directory(admin) if e.code == "DCC")
    assert [c.name for c in entry.contacts] == ["Sam Lee"] and not entry.suspended
    ct.deactivate_contact(admin, contact.id)
    assert ct.list_contacts(admin, "DCC") == []
    assert len(ct.list_contacts(admin, "DCC", include_inactive=True)) == 1


def test_contact_validation(admin):
    with pytest.raises(Invalid) as caught:
        ct.add_contact(admin, {"partner": "XX", "name": "", "email": "not-an-address", "channel": "pigeon"})
    assert {p.field for p in caught.value.problems} == {"partner", "name", "email", "channel"}
    with pytest.raises(Invalid, match="sub_service"):
        ct.add_contact(admin, {"partner": "HMRC", "sub_service": "CSIS", "name": "x"})


def test_spoc_reads_but_does_not_manage(admin):
    spoc = reopen_as(admin, "bob", "spoc")
    with pytest.raises(AuthError):
        ct.add_contact(spoc, {"partner": "DCC", "name": "x"})
    assert len(ct.directory(spoc)) == 12
    spoc.close()


def test_suspension_lifecycle(admin):
    s = suspensions.suspend(admin, "GLAA", "breach investigation")
    assert suspensions.is_suspended(admin, "GLAA") and s.suspended_by == "alice"
    assert next(e for e in ct.directory(admin) if e.code == "GLAA").suspended
    with pytest.raises(InvalidInput, match="already suspended"):
        suspensions.suspend(admin, "GLAA", "again")
    lifted = suspensions.lift(admin, "GLAA", "resolved")
    assert lifted.lifted_at and lifted.lifted_reason == "resolved"
    assert not suspensions.is_suspended(admin, "GLAA")
    assert len(suspensions.history(admin, "GLAA")) == 1
    with pytest.raises(InvalidInput):
        suspensions.suspend(admin, "NOPE", "x")


def test_textcheck_flags_bidi_and_zero_width():
    assert textcheck.findings("Ion Popescu") == []
    assert textcheck.findings("Олександр Nguyễn") == []
    found = textcheck.findings("Ana\u202eMaria\u200b")
    assert [(f.kind, f.code) for f in found] == [("bidi", "U+202E"), ("zero-width", "U+200B")]
    assert textcheck.visible("a\u202eb") == "a\u27e6U+202E\u27e7b"
    assert "RIGHT-TO-LEFT OVERRIDE" in textcheck.warning("a\u202eb")
    assert textcheck.warning("plain") is None
