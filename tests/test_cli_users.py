"""`spocdesk users VAULT list|add|disable|passwd`: who may do what, and that a refused change
writes nothing. Each changing test works on its own copy of one module-wide vault (admin
`alice` with PASSPHRASE, spoc `bob` with OTHER_PASSPHRASE)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import OTHER_PASSPHRASE, PASSPHRASE
from test_cli import Template, assert_error, assert_ok, copy_vault, lines, make_template, status_as, users_json

NEW_PASSPHRASE = "harbour violet cinder 19"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    return make_template(tmp_path_factory, "cli-users-template")


@pytest.fixture
def fresh(template, tmp_path) -> Path:
    return copy_vault(template.path, tmp_path / "desk.vault")


def users(spocdesk, action: str, vault: Path, *args: str, user: str = "alice", secrets=(PASSPHRASE,)):
    return spocdesk("users", action, vault, *args, "--user", user, "--passphrase-stdin", stdin=lines(*secrets))


def names(rows: list[dict]) -> list[str]:
    return sorted(r["name"] for r in rows)


# ---- list ---------------------------------------------------------------------------------


def test_list_json(spocdesk, template):
    rows = users_json(spocdesk, template.path)
    assert sorted((r["name"], r["role"], r["agency"], r["active"]) for r in rows) == [
        ("alice", "admin", "DCON", True), ("bob", "spoc", "DCON", True)]
    for row in rows:
        assert set(row) == {"name", "role", "agency", "active", "created_at", "disabled_at"}
        assert row["created_at"] and row["disabled_at"] is None


def test_list_as_text(spocdesk, template):
    result = assert_ok(users(spocdesk, "list", template.path, user="bob", secrets=(OTHER_PASSPHRASE,)))
    header, *rows = result.out.strip().splitlines()
    assert header.split()[:4] == ["USER", "ROLE", "AGENCY", "STATUS"]
    assert sorted(r.split()[:4] for r in rows) == [["alice", "admin", "DCON", "active"],
                                                  ["bob", "spoc", "DCON", "active"]]


# ---- add ----------------------------------------------------------------------------------


def test_an_added_user_can_unlock(spocdesk, fresh):
    result = assert_ok(users(spocdesk, "add", fresh, "carol", "--role", "dpm",
                             secrets=(PASSPHRASE, NEW_PASSPHRASE)))
    assert "carol" in result.out and "dpm" in result.out
    data = json.loads(assert_ok(status_as(spocdesk, fresh, "carol", NEW_PASSPHRASE)).out)
    assert data["users"]["active_by_role"] == {"admin": 1, "dpm": 1, "spoc": 1}
    assert data["keyslots"]["passphrase"] == 3


def test_a_spoc_may_not_add_users(spocdesk, fresh):
    assert_error(users(spocdesk, "add", fresh, "carol", "--role", "spoc", user="bob",
                       secrets=(OTHER_PASSPHRASE, NEW_PASSPHRASE)), 3, "spoc")
    assert names(users_json(spocdesk, fresh)) == ["alice", "bob"]


@pytest.mark.parametrize("args, secrets, code, fragment", [
    (("BOB", "--role", "spoc"), (PASSPHRASE, NEW_PASSPHRASE), 4, "already exists"),
    (("Alice", "--role", "admin"), (PASSPHRASE, NEW_PASSPHRASE), 4, "already exists"),
    (("carol", "--role", "boss"), (PASSPHRASE, NEW_PASSPHRASE), 4, "boss"),
    (("carol smith", "--role", "spoc"), (PASSPHRASE, NEW_PASSPHRASE), 4, "user name"),
    (("carol", "--role", "spoc"), (PASSPHRASE, "short"), 4, "passphrase"),
    (("carol", "--role", "spoc"), (PASSPHRASE,), 2, "line 2"),
    (("carol",), (PASSPHRASE, NEW_PASSPHRASE), 2, "--role"),
], ids=["duplicate-case", "duplicate-admin-case", "bad-role", "bad-name", "weak-passphrase",
        "missing-passphrase-line", "missing-role"])
def test_refused_additions_add_no_one(spocdesk, template, tmp_path, args, secrets, code, fragment):
    vault = copy_vault(template.path, tmp_path / "desk.vault")
    keys_before = json.loads(vault.with_name(vault.name + ".keys").read_text())["slots"]
    assert_error(users(spocdesk, "add", vault, *args, secrets=secrets), code, fragment)
    if code == 2:  # refused before any slot was made (the file records the audit head at the lock)
        assert json.loads(vault.with_name(vault.name + ".keys").read_text())["slots"] == keys_before
    else:
        assert names(users_json(spocdesk, vault)) == ["alice", "bob"]


# ---- disable ------------------------------------------------------------------------------


def test_a_disabled_user_can_no_longer_unlock(spocdesk, fresh):
    assert_ok(users(spocdesk, "disable", fresh, "bob", "--reason", "left the unit"))
    assert_error(status_as(spocdesk, fresh, "bob", OTHER_PASSPHRASE), 3)
    rows = {r["name"]: r for r in users_json(spocdesk, fresh)}
    assert rows["bob"]["active"] is False and rows["bob"]["disabled_at"]
    assert rows["alice"]["active"] is True


def test_disabling_yourself_is_refused(spocdesk, fresh):
    assert_error(users(spocdesk, "disable", fresh, "alice"), 4, "yourself")
    assert all(r["active"] for r in users_json(spocdesk, fresh))


def test_the_last_administrator_stays(spocdesk, fresh):
    assert_ok(users(spocdesk, "add", fresh, "dave", "--role", "admin", secrets=(PASSPHRASE, NEW_PASSPHRASE)))
    assert_ok(users(spocdesk, "disable", fresh, "alice", user="dave", secrets=(NEW_PASSPHRASE,)))
    # dave is now the only active administrator: nobody can disable him, himself included.
    assert_error(users(spocdesk, "disable", fresh, "dave", user="dave", secrets=(NEW_PASSPHRASE,)), 4)
    data = json.loads(assert_ok(status_as(spocdesk, fresh, "dave", NEW_PASSPHRASE)).out)
    assert data["users"]["active_by_role"] == {"admin": 1, "spoc": 1}


def test_a_spoc_may_not_disable_users(spocdesk, fresh):
    assert_error(users(spocdesk, "disable", fresh, "alice", user="bob", secrets=(OTHER_PASSPHRASE,)), 3, "spoc")
    assert_ok(status_as(spocdesk, fresh, "alice", PASSPHRASE))


def test_disabling_an_unknown_user_is_invalid_input(spocdesk, template):
    assert_error(users(spocdesk, "disable", template.path, "nobody"), 4, "nobody")


# ---- passwd -------------------------------------------------------------------------------


def test_changing_your_own_passphrase(spocdesk, fresh):
    assert_error(users(spocdesk, "passwd", fresh, "bob", user="bob", secrets=(NEW_PASSPHRASE, PASSPHRASE)), 3)
    result = assert_ok(users(spocdesk, "passwd", fresh, "bob", user="bob",
                             secrets=(OTHER_PASSPHRASE, NEW_PASSPHRASE)))
    assert "bob" in result.out
    assert_error(status_as(spocdesk, fresh, "bob", OTHER_PASSPHRASE), 3)
    assert_ok(status_as(spocdesk, fresh, "bob", NEW_PASSPHRASE))


def test_a_weak_new_passphrase_is_refused_and_the_old_one_still_works(spocdesk, fresh):
    assert_error(users(spocdesk, "passwd", fresh, "bob", user="bob", secrets=(OTHER_PASSPHRASE, "short")),
                 4, "passphrase")
    assert_ok(status_as(spocdesk, fresh, "bob", OTHER_PASSPHRASE))


def test_an_admin_resets_another_users_passphrase(spocdesk, fresh):
    assert_ok(users(spocdesk, "passwd", fresh, "bob", secrets=(PASSPHRASE, NEW_PASSPHRASE)))
    assert_ok(status_as(spocdesk, fresh, "bob", NEW_PASSPHRASE))


def test_a_spoc_may_not_reset_another_users_passphrase(spocdesk, fresh):
    assert_error(users(spocdesk, "passwd", fresh, "alice", user="bob", secrets=(OTHER_PASSPHRASE, NEW_PASSPHRASE)),
                 3, "spoc")
    assert_ok(status_as(spocdesk, fresh, "alice", PASSPHRASE))


def test_the_recovery_key_resets_a_forgotten_passphrase(spocdesk, template, fresh):
    result = assert_ok(spocdesk("users", "passwd", fresh, "alice", "--recovery-key-stdin",
                                stdin=lines(template.recovery_key, NEW_PASSPHRASE)))
    assert "alice" in result.out
    assert_error(status_as(spocdesk, fresh, "alice", PASSPHRASE), 3)
    assert_ok(status_as(spocdesk, fresh, "alice", NEW_PASSPHRASE))


def test_the_recovery_key_may_be_typed_in_lower_case_with_spaces(spocdesk, template, fresh):
    typed = template.recovery_key.lower().replace("-", " ")
    assert_ok(spocdesk("users", "passwd", fresh, "bob", "--recovery-key-stdin",
                       stdin=lines(typed, NEW_PASSPHRASE)))
    assert_ok(status_as(spocdesk, fresh, "bob", NEW_PASSPHRASE))


def test_a_wrong_or_mistyped_recovery_key_changes_nothing(spocdesk, template, fresh):
    from app.vault.recovery import format_recovery_key

    other_key = format_recovery_key(os.urandom(20))
    assert_error(spocdesk("users", "passwd", fresh, "alice", "--recovery-key-stdin",
                          stdin=lines(other_key, NEW_PASSPHRASE)), 3)
    key = template.recovery_key
    typo = ("1" if key[0] != "1" else "2") + key[1:]
    assert_error(spocdesk("users", "passwd", fresh, "alice", "--recovery-key-stdin",
                          stdin=lines(typo, NEW_PASSPHRASE)), 4, "typing mistake")
    assert_error(spocdesk("users", "passwd", fresh, "alice", "--recovery-key-stdin",
                          stdin=lines("ABCD-EFGH", NEW_PASSPHRASE)), 4, "9 groups of 4")
    assert_ok(status_as(spocdesk, fresh, "alice", PASSPHRASE))


def test_passwd_needs_a_user_or_the_recovery_key(spocdesk, template):
    assert_error(spocdesk("users", "passwd", template.path, "alice", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE, NEW_PASSPHRASE)), 2, "--user")
