"""Small rules a user meets directly: passphrases, recovery keys, policy values, roles, folders."""

from __future__ import annotations

import os
import stat

import pytest

from app import paths, policy, roles
from app.errors import AuthError, InvalidInput
from app.vault import passphrase, recovery


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaaaa", "password password", "Derbyshire12", " leading space words"])
def test_weak_passphrases_are_refused_with_advice(weak):
    assert passphrase.problems(weak), weak


@pytest.mark.parametrize("good", ["kettle orbit marble", "lantern quartz meadow 77", "Correct-Horse-Battery-9"])
def test_three_random_words_are_accepted(good):
    assert passphrase.problems(good) == []


def test_short_passphrase_advice_names_the_minimum_and_three_words():
    (message,) = passphrase.problems("abc def")
    assert "12 characters" in message and "three random words" in message


def test_recovery_key_round_trip_and_forgiving_typing():
    secret = recovery.new_recovery_secret()
    key = recovery.format_recovery_key(secret)
    groups = key.split("-")
    assert len(groups) == 9 and all(len(g) == 4 for g in groups)
    assert not set(key.replace("-", "")) & set("ILOU")
    typed = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert recovery.parse_recovery_key(typed) == secret


def test_recovery_key_typo_is_caught_before_any_unlock():
    key = recovery.format_recovery_key(recovery.new_recovery_secret())
    pos = 5  # inside the second group
    swapped = "2" if key[pos] != "2" else "3"
    with pytest.raises(InvalidInput, match="typing mistake"):
        recovery.parse_recovery_key(key[:pos] + swapped + key[pos + 1 :])


def test_recovery_key_of_wrong_length_says_how_long_it_should_be():
    with pytest.raises(InvalidInput, match="36 characters"):
        recovery.parse_recovery_key("ABCD-EFGH")


@pytest.mark.parametrize(
    "key,text,expected",
    [("idle_lock_minutes", "15", 15), ("keyring_allowed", "Yes", True), ("keyring_allowed", "off", False),
     ("response_due_days", " 7 ", 7)],
)
def test_policy_values_are_parsed(key, text, expected):
    assert policy.parse_value(key, text) == expected


@pytest.mark.parametrize(
    "key,text,message",
    [("idle_lock_minutes", "0", "between 1 and 240"), ("idle_lock_minutes", "ten", "whole number"),
     ("keyring_allowed", "maybe", "yes or no"), ("colour", "blue", "Unknown policy setting")],
)
def test_bad_policy_values_say_what_is_wrong(key, text, message):
    with pytest.raises(InvalidInput, match=message):
        policy.parse_value(key, text)


def test_policy_defaults_come_from_the_agreement_data():
    assert policy.defaults().response_due_days == 10
    assert policy.defaults().idle_lock_minutes == 5
    assert policy.defaults().keyring_allowed is False


def test_only_admins_manage_users_and_everyone_sees_status():
    assert roles.can("admin", "users.manage")
    for role in ("spoc", "dpm", "chair", "auditor"):
        assert not roles.can(role, "users.manage")
        assert roles.can(role, "vault.status")
    with pytest.raises(AuthError, match="spoc"):
        roles.require("spoc", "vault.backup", "back up the vault")


def test_per_user_folders_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOCDESK_CONFIG_DIR", str(tmp_path / "a" / "config"))
    folder = paths.config_dir()
    assert folder.is_dir()
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_resources_are_found_from_the_source_tree():
    assert paths.resource_path("agreement", "derby-derbyshire.json").is_file()


def test_user_name_problem_is_the_forms_wording_of_the_same_rule():
    from app.vault.vault import check_user_name, user_name_problem

    assert user_name_problem("j.smith") is None
    check_user_name("j.smith")
    for bad in ("", "x", "-starts-with-hyphen", "has space", "a" * 65):
        assert user_name_problem(bad).startswith("User names use 2 to 64 letters")
