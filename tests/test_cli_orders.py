"""The command line as the docs write it (`users VAULT list`) and as before (`users list VAULT`),
`spocdesk search`, and response references without their team (issue 17)."""

from __future__ import annotations

import json

import pytest

from app import cli
from app import requests as rq
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, request_data
from test_cli import assert_error, assert_ok

# Every command with actions, each action with the arguments it needs after VAULT.
ACTIONS = {
    "users": {"list": ["--json"], "add": ["carol", "--role", "spoc"], "disable": ["carol"], "passwd": ["carol"],
              "standing": ["carol", "--course", "Modern Slavery awareness"]},
    "policy": {"show": [], "set": ["idle_lock_minutes", "10"]},
    "keys": {"card": ["--out", "card.json"], "trust": ["card.json"], "list": [], "rotate": [],
             "revoke": ["HMRC"]},
    "retention": {"review": ["--all"], "dispose": ["MSR-2026-0001"]},
    "corrections": {"list": []},
    "compliance": {"return": ["--to", "HMRC", "--out", "."], "import": ["return.spocpkg"]},
    "agreement": {"show": [], "adopt": ["agreement.json", "--reason", "agreed at the review"],
                  "signatory": ["HMRC", "--name", "Ann Lee", "--position", "Director", "--signed", "2026-01-05"],
                  "dispute": ["HMRC", "--raised-by", "us", "--about", "late answers", "--raised", "2026-11-02"],
                  "close-dispute": ["DSP-2026-0001", "--outcome", "resolved", "--note", "agreed"]},
}


def parsed(argv: list[str]) -> dict:
    argv = cli._vault_first(list(argv))
    args = cli.build_parser(only=argv[0]).parse_args(argv)
    return {k: v for k, v in vars(args).items() if k != "handler"}


def test_every_command_with_actions_has_one_in_the_parser():
    parser = cli.build_parser()
    found = {name for name in ACTIONS if cli._actions_of(parser, name)}
    with_actions = {name for name in parser._subparsers._group_actions[0].choices
                    if cli._actions_of(parser, name)}
    assert found == with_actions == set(ACTIONS)
    for name, actions in ACTIONS.items():
        assert cli._actions_of(parser, name) == set(actions)


@pytest.mark.parametrize("command,action", [(c, a) for c, actions in ACTIONS.items() for a in actions])
def test_both_orders_mean_the_same(command, action, tmp_path):
    rest = ACTIONS[command][action] + ["--user", "alice"]
    vault = str(tmp_path / "desk.vault")  # need not exist
    docs_order = parsed([command, vault, action, *rest])
    old_order = parsed([command, action, vault, *rest])
    assert docs_order == old_order
    assert docs_order["vault"] == vault and docs_order["action"] == action


def test_an_unknown_action_after_a_real_vault_is_named(tmp_path, capsys):
    vault = tmp_path / "desk.vault"
    vault.write_bytes(b"x")
    assert cli.main(["users", str(vault), "lsit"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["spocdesk: users: 'lsit' is not an action; choose from add, disable, list, passwd,"
                   " standing (spocdesk users VAULT ACTION ...)."]


@pytest.fixture
def desk(tmp_path):
    path = tmp_path / "desk.vault"
    vault = make_desk(path)
    rq.create_request(vault, request_data(subjects=[
        {"subject": {"name": "Миколай Шевченко", "date_of_birth": "1990-01-31", "aliases": ["Kolya"]},
         "role": "potential-victim"},
        {"subject": {"name": "Muhammad Rahimi"}, "role": "suspected-perpetrator"}]))
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, ["DCC/CSIS", "HMRC"])
    vault.close()
    return path


def as_bob(*args):
    return [*map(str, args), "--user", "bob", "--passphrase-stdin"]


def searches(path) -> int:
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        return vault.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'search'")
    finally:
        vault.close()


def test_search_prints_the_screens_hits_as_json_and_is_audited(spocdesk, desk):
    before = searches(desk)
    out = json.loads(assert_ok(spocdesk(*as_bob("search", desk, "Shevchenko"), stdin=OTHER_PASSPHRASE + "\n")).out)
    (hit,) = out["hits"]
    assert (hit["kind"], hit["match"], hit["label"], hit["date_of_birth"], hit["aliases"], hit["role"]) == (
        "subject", "spelling", "Миколай Шевченко", "1990-01-31", ["Kolya"], "potential-victim")
    assert (hit["reference"], hit["request_date"], out["count"], out["truncated"]) == (
        "MSR-2026-0001", "2026-03-02", 1, False)
    sounds = json.loads(assert_ok(spocdesk(*as_bob("search", desk, "Mohammed"), stdin=OTHER_PASSPHRASE + "\n")).out)
    assert [(h["label"], h["match"]) for h in sounds["hits"]] == [("Muhammad Rahimi", "sounds like")]
    assert searches(desk) == before + 2
    refused = assert_error(spocdesk(*as_bob("search", desk, "***"), stdin=OTHER_PASSPHRASE + "\n"), 4)
    assert "search for" in refused


def test_response_reference_without_its_team(spocdesk, desk, tmp_path):
    out = tmp_path / "dcc.pdf"
    assert_ok(spocdesk(*as_bob("report", desk, "response", "MSR-2026-0002/DCC", "--out", out),
                       stdin=OTHER_PASSPHRASE + "\n"))
    assert out.read_bytes().startswith(b"%PDF")
    vault = Vault.open(desk, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        request = rq.get_request(vault, "MSR-2026-0002", audit=False)
        vault.db.execute("INSERT INTO dispatches (id, request_id, agency, sub_service, status, created_at, created_by,"
                         " updated_at, updated_by) VALUES ('old', ?, 'DCC', 'LICENSING', 'sent', 't', 'x', 't', 'x')",
                         (request.id,))
    finally:
        vault.close()
    message = assert_error(spocdesk(*as_bob("report", desk, "response", "MSR-2026-0002/DCC", "--out",
                                            tmp_path / "two.pdf"), stdin=OTHER_PASSPHRASE + "\n"), 4)
    assert "MSR-2026-0002/DCC/CSIS" in message and "MSR-2026-0002/DCC/LICENSING" in message
    assert not (tmp_path / "two.pdf").exists()


def test_the_documented_order_runs_end_to_end(spocdesk, desk):
    users = json.loads(assert_ok(spocdesk("users", desk, "list", "--json", "--user", "alice", "--passphrase-stdin",
                                          stdin=PASSPHRASE + "\n")).out)
    assert {u["name"] for u in users} == {"alice", "bob"}
    policy = json.loads(assert_ok(spocdesk("policy", desk, "show", "--user", "alice", "--passphrase-stdin",
                                           stdin=PASSPHRASE + "\n")).out)
    again = json.loads(assert_ok(spocdesk("policy", "show", desk, "--user", "alice", "--passphrase-stdin",
                                          stdin=PASSPHRASE + "\n")).out)
    assert policy == again and "idle_lock_minutes" in policy
