"""Files and folders (issue 16): the lock file never follows a planted link; files with personal
data are created new with mode 0600 from the first byte; a vault in a network or cloud-synced
folder is refused at create, with the reason, and warned about at open; the default folder
offered is never a synced one."""

from __future__ import annotations

import os
import stat

import pytest

from app import files
from app.errors import InvalidInput
from app.vault import Vault, location
from app.vault.lockfile import busy_message, lock_path

from conftest import PASSPHRASE


# ---- the lock file --------------------------------------------------------------------------------


def test_a_symlink_planted_as_the_lock_file_does_not_empty_its_target(vault_path, tmp_path):
    Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")[0].close()
    precious = tmp_path / "precious.txt"
    precious.write_text("the only copy of something")
    os.symlink(precious, lock_path(vault_path))
    with pytest.raises(InvalidInput, match="not a plain lock file"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    assert precious.read_text() == "the only copy of something"
    assert busy_message(vault_path) is None  # the unlock screen's look does not follow it either
    assert precious.read_text() == "the only copy of something"


def test_a_folder_or_fifo_as_the_lock_file_is_refused(vault_path):
    Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")[0].close()
    os.mkfifo(lock_path(vault_path))
    with pytest.raises(InvalidInput, match="not a plain lock file"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


# ---- files with personal data -------------------------------------------------------------------


def test_private_files_are_0600_from_the_first_byte(tmp_path, monkeypatch):
    seen = []
    real_open = os.open

    def spying_open(path, flags, mode=0o777, **kw):
        seen.append((flags, mode))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "umask", os.umask)
    old = os.umask(0)  # even with a permissive umask
    try:
        monkeypatch.setattr(files.os, "open", spying_open)
        out = files.write_private(tmp_path / "report.pdf", b"%PDF-1.4 personal data")
    finally:
        os.umask(old)
    flags, mode = seen[0]
    assert flags & os.O_EXCL and flags & os.O_CREAT and mode == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_private_files_refuse_an_existing_file_or_a_planted_link(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    link = tmp_path / "export.json"
    os.symlink(target, link)
    with pytest.raises(InvalidInput, match="already exists"):
        files.write_private(link, b"personal data")
    assert target.read_text() == "keep"


def test_exports_and_reports_use_the_private_writer(tmp_path):
    from app.exchange.export import write_file
    from app.reports import save_pdf

    old = os.umask(0)
    try:
        write_file({"format": "spocdesk/1", "requests": []}, tmp_path / "out.json")
        save_pdf(b"%PDF-1.4", tmp_path / "out.pdf")
    finally:
        os.umask(old)
    for name in ("out.json", "out.pdf"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_cards_backups_and_keyslots_are_created_by_open_private(tmp_path, monkeypatch):
    """Every writer of a personal-data or key file goes through files.open_private (which is where
    Windows gets its owner-only DACL): spy on it and check each file is 0600 under umask 0."""
    from app.exchange import desks
    from app.vault import backup, keyslots

    made = []
    real = files.open_private

    def spying(path):
        made.append(os.path.basename(path))
        return real(path)

    for module in (files, backup, keyslots):
        monkeypatch.setattr(module, "open_private", spying)
    old = os.umask(0)
    try:
        vault, _ = Vault.create(tmp_path / "desk.vault", user="admin", passphrase=PASSPHRASE, agency="DCON")
        try:
            desks.write_card(vault, tmp_path / "dcon.card")
            vault.backup(tmp_path / "desk.backup")
        finally:
            vault.close()
    finally:
        os.umask(old)
    assert "dcon.card" in made and any(name.endswith(".tmp") for name in made)   # the card, a keyslot save
    assert any("desk.backup" in name for name in made)
    for name in ("dcon.card", "desk.backup"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


# ---- network and cloud-synced folders --------------------------------------------------------


@pytest.mark.parametrize("folder, named", [
    ("OneDrive - Derbyshire Constabulary", "OneDrive"),
    ("OneDrive", "OneDrive"),
    ("Dropbox", "Dropbox"),
    ("Google Drive", "Google Drive"),
    ("My Drive", "Google Drive"),
    ("iCloud Drive", "iCloud"),
])
def test_a_vault_in_a_cloud_synced_folder_is_refused_with_the_reason(tmp_path, folder, named):
    where = tmp_path / folder / "SPOC"
    where.mkdir(parents=True)
    with pytest.raises(InvalidInput) as refused:
        Vault.create(where / "desk.vault", user="alice", passphrase=PASSPHRASE, agency="DCON")
    assert named in str(refused.value) and "write-ahead log" in str(refused.value)
    assert list(where.iterdir()) == []


@pytest.mark.parametrize("fstype, named", [
    ("nfs4", "NFS"), ("cifs", "SMB"), ("smb3", "SMB"), ("fuse.sshfs", "FUSE"), ("fuse.rclone", "FUSE"),
])
def test_network_and_fuse_mounts_are_found_from_proc_mounts(tmp_path, fstype, named):
    mounts = tmp_path / "mounts"
    share = tmp_path / "share with space"
    share.mkdir()
    escaped = str(share).replace(" ", "\\040")
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nserver:/x {escaped} {fstype} rw 0 0\n")
    reason = location.synced_reason(share / "desk", mounts_file=mounts)
    assert reason and named in reason
    assert location.synced_reason(tmp_path, mounts_file=mounts) is None


def test_a_mapped_share_is_refused_at_create(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "_mount_reason", lambda path, mounts_file: "an SMB network share")
    with pytest.raises(InvalidInput, match="SMB network share"):
        Vault.create(tmp_path / "desk.vault", user="alice", passphrase=PASSPHRASE, agency="DCON")


def test_a_vault_moved_into_a_synced_folder_opens_with_a_warning(tmp_path):
    vault_path = tmp_path / "desk.vault"
    Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")[0].close()
    synced = tmp_path / "Dropbox"
    synced.mkdir()
    for name in ("desk.vault", "desk.vault.keys"):
        (tmp_path / name).rename(synced / name)
    vault = Vault.open(synced / "desk.vault", user="alice", passphrase=PASSPHRASE)
    try:
        assert vault.location_warning and "Dropbox" in vault.location_warning
    finally:
        vault.close()


def test_the_default_folder_offered_is_never_a_synced_one(tmp_path):
    synced, local = tmp_path / "OneDrive" / "vaults", tmp_path / "local"
    assert location.default_folder([synced, local]) == local
    assert location.default_folder([local, synced]) == local


def test_cli_create_in_a_synced_folder_is_invalid_input(spocdesk, tmp_path):
    where = tmp_path / "OneDrive"
    where.mkdir()
    result = spocdesk("init", where / "desk.vault", "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                      stdin=f"{PASSPHRASE}\n")
    assert result.code == 4 and "OneDrive" in result.err and "Traceback" not in result.err
