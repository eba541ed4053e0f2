"""The `spocdesk` command line as a contract (DESIGN.md, "The command line"): exit codes,
one-line errors without tracebacks, and the headless commands run in a real subprocess.

Every unlock in a subprocess pays the real scrypt cost (~0.5 s), so a vault is made once per
module (`template`) and copied (`fresh`) for tests that change it; read-only tests share it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO, CliResult

COMMANDS = {"open", "init", "verify", "backup", "restore", "status", "users", "policy", "self-test",
            "import", "export", "demo", "report", "keys", "send", "receive", "retention", "corrections", "search", "agreement",
            "compliance"}
CROCKFORD = "[0-9A-HJKMNP-TV-Z]"
RECOVERY_KEY = re.compile(rf"\b{CROCKFORD}{{4}}(?:-{CROCKFORD}{{4}}){{8}}\b")
HEAD = re.compile(r"\b\d+:[0-9a-f]{16}\b")


# ---- helpers ------------------------------------------------------------------------------


def lines(*values: str) -> str:
    """Standard input for --passphrase-stdin: one value a line."""
    return "".join(f"{v}\n" for v in values)


def assert_ok(result: CliResult) -> CliResult:
    assert result.code == 0, f"exit {result.code}; stderr: {result.err!r}"
    assert "Traceback" not in result.err
    return result


def assert_error(result: CliResult, code: int, *fragments: str) -> str:
    """Exit `code`, exactly one `spocdesk: ` line on stderr, no traceback anywhere."""
    assert result.code == code, f"exit {result.code} (wanted {code}); stderr: {result.err!r}"
    assert "Traceback" not in result.err and "Traceback" not in result.out
    err_lines = result.err.strip().splitlines()
    assert len(err_lines) == 1, result.err
    assert err_lines[0].startswith("spocdesk: "), result.err
    for fragment in fragments:
        assert fragment.lower() in result.err.lower(), (fragment, result.err)
    return err_lines[0]


def profile_env(base: Path) -> dict[str, str]:
    """Environment for CLI runs made outside a test function (module fixtures)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("CONFIG", "DATA", "LOG"):
        env[f"SPOCDESK_{name}_DIR"] = str(base / "profile" / name.lower())
    return env


def run_cli(*args, stdin: str = "", env: dict[str, str], timeout: float = 120) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "spocdesk", *map(str, args)],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def keys_of(vault: Path) -> Path:
    return vault.with_name(vault.name + ".keys")


def copy_vault(source: Path, dest: Path) -> Path:
    for extra in ("-wal", "-shm", ".lock"):
        assert not Path(f"{source}{extra}").exists(), f"{source}{extra} left behind by a closed vault"
    shutil.copy2(source, dest)
    shutil.copy2(keys_of(source), keys_of(dest))
    return dest


@dataclass(frozen=True)
class Template:
    path: Path
    recovery_key: str
    init: CliResult
    env: dict[str, str]


def make_template(tmp_path_factory, label: str = "cli-template") -> Template:
    """A closed vault for DCON: admin `alice` (PASSPHRASE) and spoc `bob` (OTHER_PASSPHRASE)."""
    base = tmp_path_factory.mktemp(label)
    env = profile_env(base)
    path = base / "desk.vault"
    init = assert_ok(run_cli("init", path, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                             stdin=lines(PASSPHRASE), env=env))
    found = RECOVERY_KEY.search(init.out)
    assert found, init.out
    assert_ok(run_cli("users", "add", path, "bob", "--role", "spoc", "--user", "alice", "--passphrase-stdin",
                      stdin=lines(PASSPHRASE, OTHER_PASSPHRASE), env=env))
    return Template(path, found.group(0), init, env)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    return make_template(tmp_path_factory)


@pytest.fixture
def fresh(template, tmp_path) -> Path:
    """A private copy of the template vault, for tests that change or damage it."""
    return copy_vault(template.path, tmp_path / "desk.vault")


def status_as(spocdesk, vault: Path, user: str, passphrase: str) -> CliResult:
    return spocdesk("status", vault, "--user", user, "--passphrase-stdin", stdin=lines(passphrase))


def users_json(spocdesk, vault: Path, user: str = "alice", passphrase: str = PASSPHRASE) -> list[dict]:
    result = assert_ok(spocdesk("users", "list", vault, "--json", "--user", user, "--passphrase-stdin",
                                stdin=lines(passphrase)))
    return json.loads(result.out)


# ---- usage --------------------------------------------------------------------------------


def test_help_lists_exactly_the_implemented_commands_and_the_exit_codes(spocdesk):
    result = assert_ok(spocdesk("--help"))
    section = result.out.split("positional arguments:", 1)[1].split("options:", 1)[0]
    listed = set(re.findall(r"^    (\S+)", section, flags=re.M))
    assert listed == COMMANDS
    codes = result.out.split("exit codes:", 1)[1]
    for code in (0, 2, 3, 4, 5, 6):
        assert re.search(rf"^\s+{code}\s+\S", codes, flags=re.M), f"exit code {code} not explained"
    assert result.err == ""


def test_no_arguments_opens_the_desktop_app_and_it_closes_cleanly(spocdesk, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("SPOCDESK_QUIT_AFTER_MS", "300")   # the smoke-test hook: quit once shown
    result = assert_ok(spocdesk())
    assert result.out == ""
    assert "Traceback" not in result.err


def test_a_terminate_signal_closes_the_desktop_cleanly(fresh, isolated_dirs):
    """Logoff or shutdown sends SIGTERM: the app quits through Qt and releases the vault."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "spocdesk", "open", str(fresh)], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(f"{fresh}.lock")
    try:
        import time

        time.sleep(3)   # the unlock screen is up (it probes the lock and releases it)
        assert proc.poll() is None, "the desktop should still be running"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert not lock.exists()


def test_open_names_a_missing_vault_in_one_line(spocdesk, tmp_path):
    result = spocdesk("open", tmp_path / "nowhere.vault")
    assert result.code == 4
    assert result.err == f"spocdesk: There is no vault at {tmp_path / 'nowhere.vault'}.\n"


def test_version(spocdesk):
    result = assert_ok(spocdesk("--version"))
    assert re.fullmatch(r"spocdesk \d+\.\d+\.\d+\S*\n", result.out)


def test_users_and_policy_take_the_vault_before_or_after_the_action(spocdesk, fresh):
    for args in (("users", fresh, "list"), ("users", "list", fresh)):
        result = spocdesk(*args, "--user", "alice", "--passphrase-stdin", "--json", stdin=f"{PASSPHRASE}\n")
        assert result.code == 0, result.err
        assert [u["name"] for u in json.loads(result.out)] == ["alice", "bob"]
    for args in (("policy", fresh, "show"), ("policy", "show", fresh)):
        result = spocdesk(*args, "--user", "alice", "--passphrase-stdin", stdin=f"{PASSPHRASE}\n")
        assert result.code == 0, result.err
        assert json.loads(result.out)["idle_lock_minutes"] == 5


def test_an_unknown_action_is_named_whichever_the_order(spocdesk, fresh):
    result = spocdesk("users", fresh, "frob")
    assert result.code == 2
    assert "'frob'" in result.err and str(fresh) not in result.err
    assert result.err.count("\n") == 1


def test_unknown_command_is_a_usage_error(spocdesk):
    assert_error(spocdesk("frobnicate"), 2, "frobnicate")


def test_an_unknown_command_is_answered_with_every_command_there_is(spocdesk):
    """Only the command asked for is built (a quicker start); a wrong one still lists them all."""
    result = spocdesk("frobnicate")
    assert result.code == 2
    choices = set(re.findall(r"'([a-z-]+)'", result.err.split("choose from", 1)[1]))
    assert choices == COMMANDS


def test_a_command_s_help_is_that_command_s(spocdesk):
    result = assert_ok(spocdesk("report", "--help"))
    assert result.out.startswith("usage: spocdesk report ")
    assert "--out FILE.pdf" in result.out and "OFFICIAL-SENSITIVE" in result.out


@pytest.mark.parametrize("args", [
    ("status",),                                            # no vault
    ("status", "x.vault"),                                  # no --user
    ("users", "x.vault"),                                   # no action
    ("users", "explode", "x.vault", "--user", "alice"),     # unknown action
    ("policy", "x.vault", "--user", "alice"),               # no action
    ("init", "x.vault", "--user", "alice"),                 # no --agency
    ("status", "x.vault", "--user", "alice", "--bogus"),    # unknown option
], ids=["status-no-vault", "status-no-user", "users-no-action", "users-bad-action", "policy-no-action",
        "init-no-agency", "unknown-option"])
def test_wrong_command_lines_are_usage_errors(spocdesk, args, tmp_path):
    result = spocdesk(*args)
    assert_error(result, 2)
    assert not (REPO / "x.vault").exists()


def test_a_passphrase_is_never_read_from_a_pipe_without_passphrase_stdin(spocdesk, template):
    result = spocdesk("status", template.path, "--user", "alice", stdin=lines(PASSPHRASE))
    assert_error(result, 2, "--passphrase-stdin")


# ---- self-test ----------------------------------------------------------------------------


def test_self_test_lists_sqlcipher_4_and_the_agreement_data(spocdesk):
    result = assert_ok(spocdesk("self-test"))
    assert re.search(r"^ok\s+SQLCipher\s+version 4\.", result.out, flags=re.M), result.out
    assert re.search(r"^ok\s+Agreement data\s+\d+ partners", result.out, flags=re.M), result.out
    assert not re.search(r"^FAIL", result.out, flags=re.M)


def test_self_test_json_is_a_list_of_checks(spocdesk):
    checks = json.loads(assert_ok(spocdesk("self-test", "--json")).out)
    assert isinstance(checks, list) and checks
    for check in checks:
        assert {"name", "ok", "detail", "required"} <= set(check)
    by_name = {c["name"]: c for c in checks}
    assert by_name["SQLCipher"]["ok"] and by_name["SQLCipher"]["detail"].startswith("version 4.")
    assert by_name["Agreement data"]["ok"]
    assert all(c["ok"] for c in checks if c["required"])


# ---- init ---------------------------------------------------------------------------------


def test_init_prints_a_recovery_key_of_nine_groups_of_four(template):
    assert len(RECOVERY_KEY.findall(template.init.out)) == 1
    groups = template.recovery_key.split("-")
    assert len(groups) == 9 and all(len(g) == 4 for g in groups)
    assert not set(template.recovery_key) & set("ILOU")
    assert template.init.err == ""


def test_init_creates_the_vault_and_its_keyslots_readable_by_the_owner_only(template):
    assert template.path.is_file() and keys_of(template.path).is_file()
    if os.name == "posix":
        assert template.path.stat().st_mode & 0o777 == 0o600
        assert keys_of(template.path).stat().st_mode & 0o777 == 0o600
    assert not Path(f"{template.path}.lock").exists()
    assert not template.path.read_bytes().startswith(b"SQLite format 3")


def test_init_defaults_to_admin_and_accepts_role_admin(spocdesk, tmp_path):
    vault = tmp_path / "admin.vault"
    assert_ok(spocdesk("init", vault, "--user", "carol", "--role", "admin", "--agency", "NCA",
                       "--passphrase-stdin", stdin=lines(PASSPHRASE)))
    listed = users_json(spocdesk, vault, "carol", PASSPHRASE)
    assert [(u["name"], u["role"], u["agency"], u["active"]) for u in listed] == [("carol", "admin", "NCA", True)]


def test_init_with_another_role_is_a_usage_error(spocdesk, tmp_path):
    vault = tmp_path / "spoc.vault"
    assert_error(spocdesk("init", vault, "--user", "carol", "--role", "spoc", "--agency", "DCON",
                          "--passphrase-stdin", stdin=lines(PASSPHRASE)), 2, "admin")
    assert list(tmp_path.iterdir()) == []


def test_init_onto_an_existing_vault_is_refused_and_changes_nothing(spocdesk, template, tmp_path):
    vault = copy_vault(template.path, tmp_path / "desk.vault")
    before = vault.read_bytes(), keys_of(vault).read_bytes()
    result = spocdesk("init", vault, "--user", "mallory", "--agency", "DCON", "--passphrase-stdin",
                      stdin=lines(OTHER_PASSPHRASE))
    assert_error(result, 4, "already exists")
    assert (vault.read_bytes(), keys_of(vault).read_bytes()) == before
    assert not RECOVERY_KEY.search(result.out)


def test_init_onto_an_existing_plain_file_is_refused_and_changes_nothing(spocdesk, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_bytes(b"keep me")
    assert_error(spocdesk("init", target, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4)
    assert target.read_bytes() == b"keep me"
    assert not keys_of(target).exists()


def test_init_where_only_the_keyslot_file_exists_is_refused(spocdesk, tmp_path):
    vault = tmp_path / "desk.vault"
    keys_of(vault).write_text("{}")
    assert_error(spocdesk("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4)
    assert not vault.exists() and keys_of(vault).read_text() == "{}"


def test_init_with_an_unknown_agency_names_the_valid_codes(spocdesk, tmp_path):
    vault = tmp_path / "desk.vault"
    line = assert_error(spocdesk("init", vault, "--user", "alice", "--agency", "XYZ", "--passphrase-stdin",
                                 stdin=lines(PASSPHRASE)), 4, "XYZ")
    for code in ("DCON", "NCA", "GLAA", "HMRC"):
        assert code in line
    assert list(tmp_path.iterdir()) == []


def test_init_with_a_weak_passphrase_is_refused_and_creates_nothing(spocdesk, tmp_path):
    vault = tmp_path / "desk.vault"
    assert_error(spocdesk("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                          stdin=lines("short")), 4, "passphrase")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a", "-alice", "alice smith", "al/ice", "x" * 65])
def test_init_with_a_bad_user_name_is_refused(spocdesk, tmp_path, name):
    vault = tmp_path / "desk.vault"
    assert_error(spocdesk("init", vault, f"--user={name}", "--agency", "DCON", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4, "user name")
    assert list(tmp_path.iterdir()) == []


def test_init_without_the_passphrase_line_is_a_usage_error(spocdesk, tmp_path):
    vault = tmp_path / "desk.vault"
    assert_error(spocdesk("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin", stdin=""),
                 2, "line 1")
    assert list(tmp_path.iterdir()) == []


def test_init_in_a_missing_folder_is_refused(spocdesk, tmp_path):
    vault = tmp_path / "no" / "such" / "desk.vault"
    assert_error(spocdesk("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4)
    assert not (tmp_path / "no").exists()


def test_init_accepts_windows_line_endings_on_stdin(spocdesk, tmp_path):
    vault = tmp_path / "desk.vault"
    assert_ok(spocdesk("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                       stdin=PASSPHRASE + "\r\n"))
    assert_ok(status_as(spocdesk, vault, "alice", PASSPHRASE))


# ---- status -------------------------------------------------------------------------------


def test_status_prints_a_json_summary(spocdesk, template):
    data = json.loads(assert_ok(status_as(spocdesk, template.path, "alice", PASSPHRASE)).out)
    assert data["agency"] == "DCON"
    assert isinstance(data["schema_version"], int) and data["schema_version"] >= 1
    assert data["users"]["active"] == 2 and data["users"]["disabled"] == 0
    assert data["users"]["active_by_role"] == {"admin": 1, "spoc": 1}
    assert data["keyslots"]["passphrase"] == 2 and data["keyslots"]["recovery"] == 1
    assert {"idle_lock_minutes", "keyring_allowed", "response_due_days"} <= set(data["policy"])
    assert isinstance(data["audit"]["events"], int) and data["audit"]["events"] > 0
    assert HEAD.fullmatch(data["audit"]["head"])


def test_status_works_for_a_spoc(spocdesk, template):
    data = json.loads(assert_ok(status_as(spocdesk, template.path, "bob", OTHER_PASSPHRASE)).out)
    assert data["agency"] == "DCON"


def test_status_with_the_wrong_passphrase_is_refused(spocdesk, template):
    assert_error(status_as(spocdesk, template.path, "alice", OTHER_PASSPHRASE), 3)


def test_status_for_an_unknown_user_is_refused_like_a_wrong_passphrase(spocdesk, template):
    unknown = assert_error(status_as(spocdesk, template.path, "zed", PASSPHRASE), 3)
    wrong = assert_error(status_as(spocdesk, template.path, "alice", OTHER_PASSPHRASE), 3)
    assert unknown == wrong  # the message does not tell which user names exist


def test_status_with_an_empty_passphrase_line_is_refused(spocdesk, template):
    assert_error(spocdesk("status", template.path, "--user", "alice", "--passphrase-stdin", stdin="\n"), 3)


def test_status_of_a_missing_vault_is_invalid_input(spocdesk, tmp_path):
    assert_error(status_as(spocdesk, tmp_path / "nothing.vault", "alice", PASSPHRASE), 4, "nothing.vault")
    assert list(tmp_path.iterdir()) == []


def test_status_of_a_folder_is_invalid_input(spocdesk, tmp_path):
    folder = tmp_path / "folder.vault"
    folder.mkdir()
    assert_error(status_as(spocdesk, folder, "alice", PASSPHRASE), 4)


# ---- verify -------------------------------------------------------------------------------


def verify(spocdesk, vault: Path, *extra: str, user: str = "alice", passphrase: str = PASSPHRASE) -> CliResult:
    return spocdesk("verify", vault, *extra, "--user", user, "--passphrase-stdin", stdin=lines(passphrase))


def test_verify_passes_and_prints_the_audit_head(spocdesk, template):
    result = assert_ok(verify(spocdesk, template.path))
    assert re.search(r"Audit chain:\s+ok", result.out)
    assert re.search(r"Encrypted pages:\s+ok", result.out)
    assert HEAD.search(result.out), result.out


def test_verify_json_report(spocdesk, template):
    report = json.loads(assert_ok(verify(spocdesk, template.path, "--json")).out)
    assert report["ok"] is True and report["problems"] == []
    assert report["audit_chain"] == "ok" and report["encryption_pages"] == "ok"
    assert HEAD.fullmatch(report["audit_head"])
    assert report["audit_head"].split(":")[0] == str(report["audit_events"])


def test_verify_is_not_for_a_spoc(spocdesk, template):
    assert_error(verify(spocdesk, template.path, user="bob", passphrase=OTHER_PASSPHRASE), 3, "spoc")


def test_verify_finds_one_flipped_byte(spocdesk, fresh):
    data = bytearray(fresh.read_bytes())
    middle = len(data) // 2 + 123
    data[middle] ^= 0xFF
    fresh.write_bytes(bytes(data))
    assert_error(verify(spocdesk, fresh), 5)


def test_verify_finds_a_truncated_vault(spocdesk, fresh):
    data = fresh.read_bytes()
    fresh.write_bytes(data[:-1000])
    assert_error(verify(spocdesk, fresh), 5, "truncated")


def test_verify_refuses_a_plaintext_sqlite_database(spocdesk, fresh):
    fresh.unlink()
    conn = sqlite3.connect(fresh)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('alice')")
    conn.commit()
    conn.close()
    assert_error(verify(spocdesk, fresh), 5, "unencrypted")


def test_verify_without_the_keyslot_file_is_damage(spocdesk, fresh):
    keys_of(fresh).unlink()
    assert_error(verify(spocdesk, fresh), 5, "keyslot")


def test_verify_with_a_damaged_keyslot_file_is_damage(spocdesk, fresh):
    keys_of(fresh).write_text("{ not json")
    assert_error(verify(spocdesk, fresh), 5, "keyslot")


def test_verify_with_the_keyslot_file_of_another_vault_is_damage(spocdesk, fresh, tmp_path):
    other = tmp_path / "other.vault"
    assert_ok(spocdesk("init", other, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                       stdin=lines(PASSPHRASE)))
    shutil.copy2(keys_of(other), keys_of(fresh))
    assert_error(verify(spocdesk, fresh), 5)


# ---- backup and restore -------------------------------------------------------------------


@pytest.fixture(scope="module")
def backup_file(template, tmp_path_factory) -> tuple[Path, CliResult]:
    dest = tmp_path_factory.mktemp("cli-backup") / "desk.backup"
    result = run_cli("backup", template.path, dest, "--user", "alice", "--passphrase-stdin",
                     stdin=lines(PASSPHRASE), env=template.env)
    return dest, result


def test_backup_writes_the_file(backup_file):
    dest, result = backup_file
    assert_ok(result)
    assert dest.is_file() and dest.stat().st_size > 0
    assert HEAD.search(result.out), result.out
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".partial")]


def test_restore_gives_a_vault_that_verifies_with_the_same_users(spocdesk, template, backup_file, tmp_path):
    dest, _ = backup_file
    restored = tmp_path / "restored.vault"
    result = assert_ok(spocdesk("restore", dest, restored, "--user", "alice", "--passphrase-stdin",
                                stdin=lines(PASSPHRASE)))
    assert HEAD.search(result.out)
    assert restored.is_file() and keys_of(restored).is_file()
    assert_ok(verify(spocdesk, restored))
    summary = lambda rows: sorted((u["name"], u["role"], u["active"]) for u in rows)
    assert summary(users_json(spocdesk, restored)) == summary(users_json(spocdesk, template.path))
    assert_ok(status_as(spocdesk, restored, "bob", OTHER_PASSPHRASE))


def test_backup_onto_an_existing_path_is_refused(spocdesk, template, tmp_path):
    dest = tmp_path / "taken.backup"
    dest.write_bytes(b"precious")
    assert_error(spocdesk("backup", template.path, dest, "--user", "alice", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4, "already exists")
    assert dest.read_bytes() == b"precious"


def test_backup_is_not_for_a_spoc(spocdesk, template, tmp_path):
    dest = tmp_path / "spoc.backup"
    assert_error(spocdesk("backup", template.path, dest, "--user", "bob", "--passphrase-stdin",
                          stdin=lines(OTHER_PASSPHRASE)), 3)
    assert list(tmp_path.iterdir()) == []


def test_restore_onto_an_existing_path_is_refused(spocdesk, backup_file, fresh):
    dest, _ = backup_file
    before = fresh.read_bytes()
    assert_error(spocdesk("restore", dest, fresh, "--user", "alice", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4, "already exists")
    assert fresh.read_bytes() == before


def test_restore_of_a_random_file_is_invalid_input(spocdesk, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(os.urandom(8192))
    restored = tmp_path / "restored.vault"
    assert_error(spocdesk("restore", junk, restored, "--user", "alice", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.backup"]


def test_restore_of_a_missing_backup_is_invalid_input(spocdesk, tmp_path):
    assert_error(spocdesk("restore", tmp_path / "none.backup", tmp_path / "restored.vault", "--user", "alice",
                          "--passphrase-stdin", stdin=lines(PASSPHRASE)), 4)
    assert list(tmp_path.iterdir()) == []


def test_restore_of_a_folder_is_invalid_input(spocdesk, tmp_path):
    folder = tmp_path / "folder.backup"
    folder.mkdir()
    assert_error(spocdesk("restore", folder, tmp_path / "restored.vault", "--user", "alice",
                          "--passphrase-stdin", stdin=lines(PASSPHRASE)), 4)


def test_restore_with_the_wrong_passphrase_is_refused(spocdesk, backup_file, tmp_path):
    dest, _ = backup_file
    restored = tmp_path / "restored.vault"
    assert_error(spocdesk("restore", dest, restored, "--user", "alice", "--passphrase-stdin",
                          stdin=lines(OTHER_PASSPHRASE)), 3)
    assert list(tmp_path.iterdir()) == []


def test_restore_of_a_truncated_backup_is_damage_and_leaves_nothing(spocdesk, backup_file, tmp_path):
    dest, _ = backup_file
    cut = tmp_path / "cut.backup"
    cut.write_bytes(dest.read_bytes()[:-1000])
    restored = tmp_path / "restored.vault"
    assert_error(spocdesk("restore", cut, restored, "--user", "alice", "--passphrase-stdin",
                          stdin=lines(PASSPHRASE)), 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.backup"]


# ---- policy -------------------------------------------------------------------------------


def policy(spocdesk, vault: Path, *args: str, user: str = "alice", passphrase: str = PASSPHRASE) -> CliResult:
    action, *rest = args
    return spocdesk("policy", action, vault, *rest, "--user", user, "--passphrase-stdin", stdin=lines(passphrase))


def test_policy_show_prints_json(spocdesk, template):
    shown = json.loads(assert_ok(policy(spocdesk, template.path, "show")).out)
    assert set(shown) == {"idle_lock_minutes", "keyring_allowed", "response_due_days", "retention_review_months",
                          "casework_needs_approval"}
    assert isinstance(shown["idle_lock_minutes"], int) and shown["keyring_allowed"] is False


def test_policy_set_by_an_admin_is_kept(spocdesk, fresh):
    assert json.loads(assert_ok(policy(spocdesk, fresh, "set", "idle_lock_minutes", "10")).out)[
        "idle_lock_minutes"] == 10
    assert json.loads(assert_ok(policy(spocdesk, fresh, "show")).out)["idle_lock_minutes"] == 10
    assert json.loads(assert_ok(status_as(spocdesk, fresh, "alice", PASSPHRASE)).out)["policy"][
        "idle_lock_minutes"] == 10


BAD_SETTINGS = [
    ("idle_lock_minutes", "abc"),
    ("idle_lock_minutes", "0"),
    ("idle_lock_minutes", "100000"),
    ("keyring_allowed", "perhaps"),
    ("nonsense", "1"),
]


def test_policy_set_refuses_bad_values_and_writes_nothing(spocdesk, fresh):
    before = json.loads(assert_ok(policy(spocdesk, fresh, "show")).out)
    for key, value in BAD_SETTINGS:
        assert_error(policy(spocdesk, fresh, "set", key, value), 4, key)
    assert json.loads(assert_ok(policy(spocdesk, fresh, "show")).out) == before


def test_policy_set_by_a_spoc_is_not_permitted(spocdesk, fresh):
    assert_error(policy(spocdesk, fresh, "set", "idle_lock_minutes", "10", user="bob", passphrase=OTHER_PASSPHRASE),
                 3, "spoc")
    assert json.loads(assert_ok(policy(spocdesk, fresh, "show")).out)["idle_lock_minutes"] != 10


# ---- one process per vault ----------------------------------------------------------------

HOLDER = """
import sys, time
from app.vault import Vault
vault = Vault.open(sys.argv[1], user="alice", passphrase=sys.stdin.readline().rstrip("\\n"))
print("ready", flush=True)
time.sleep(600)
"""


def test_a_vault_open_elsewhere_is_refused_until_that_process_dies(spocdesk, fresh):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(fresh)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        holder.stdin.write(lines(PASSPHRASE))
        holder.stdin.close()
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        line = assert_error(status_as(spocdesk, fresh, "alice", PASSPHRASE), 6, "already open")
        assert str(holder.pid) in line
        # A wrong passphrase makes no difference: the lock is checked first.
        assert_error(status_as(spocdesk, fresh, "alice", OTHER_PASSPHRASE), 6)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
        holder.stderr.close()
    assert Path(f"{fresh}.lock").exists()  # left behind by the killed process: stale
    data = json.loads(assert_ok(status_as(spocdesk, fresh, "alice", PASSPHRASE)).out)
    assert data["agency"] == "DCON"
    assert not Path(f"{fresh}.lock").exists()
    assert_ok(verify(spocdesk, fresh))


# ---- secrets stay secret ------------------------------------------------------------------


def test_passphrases_and_recovery_keys_never_reach_output_or_logs(spocdesk, tmp_path):
    weak = "weakling99"
    vault = tmp_path / "desk.vault"
    outputs: list[CliResult] = []

    def run(*args, stdin, code):
        result = spocdesk(*args, stdin=stdin)
        assert result.code == code, result.err
        outputs.append(result)
        return result

    init = run("init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
               stdin=lines(PASSPHRASE), code=0)
    recovery_key = RECOVERY_KEY.search(init.out).group(0)
    run("status", vault, "--user", "alice", "--passphrase-stdin", stdin=lines(OTHER_PASSPHRASE), code=3)
    run("status", vault, "--user", "nobody", "--passphrase-stdin", stdin=lines(PASSPHRASE), code=3)
    run("users", "add", vault, "bob", "--role", "spoc", "--user", "alice", "--passphrase-stdin",
        stdin=lines(PASSPHRASE, weak), code=4)
    run("users", "add", vault, "bob", "--role", "spoc", "--user", "alice", "--passphrase-stdin",
        stdin=lines(PASSPHRASE, OTHER_PASSPHRASE), code=0)
    run("users", "passwd", vault, "alice", "--recovery-key-stdin",
        stdin=lines(recovery_key, weak), code=4)
    run("verify", vault, "--user", "alice", "--passphrase-stdin", stdin=lines(PASSPHRASE), code=0)
    run("status", vault, "--user", "bob", "--passphrase-stdin", stdin=lines(OTHER_PASSPHRASE), code=0)

    secrets = [PASSPHRASE, OTHER_PASSPHRASE, weak, recovery_key.replace("-", "")]
    for result in outputs:
        for secret in secrets[:3]:
            assert secret not in result.out and secret not in result.err
        assert recovery_key.replace("-", "") not in result.err
    for result in outputs[1:]:
        assert recovery_key not in result.out and recovery_key.replace("-", "") not in result.out

    log_dir = Path(os.environ["SPOCDESK_LOG_DIR"])
    logged = [p for p in log_dir.rglob("*") if p.is_file()]
    assert logged, "the commands wrote no log at all"
    for path in logged:
        text = path.read_bytes().decode("utf-8", "replace")
        for secret in secrets + [recovery_key]:
            assert secret not in text, f"{secret!r} found in {path}"
    keys_text = keys_of(vault).read_text(encoding="utf-8")
    for secret in secrets + [recovery_key]:
        assert secret not in keys_text
