"""The desktop's exception hook (issue 16): an unexpected error shows a plain message, writes the
class and frames (no message, no values) to the log, and locks when the vault's state is in
doubt."""

from __future__ import annotations

import logging

from app.logsetup import crash_frames
from conftest import PASSPHRASE
from ui.shell.crash import CrashHook, MESSAGE, state_in_doubt

SECRET = "Zofia Kowalczyk DOB 01/02/1980"


def _raise_here(exc):
    try:
        raise exc
    except Exception as caught:  # noqa: BLE001
        return caught


def test_frames_carry_no_message_and_no_values():
    secret_value = SECRET  # noqa: F841 - a local the frames must not show
    exc = _raise_here(ValueError(SECRET))
    frames = "\n".join(crash_frames(exc))
    assert "test_crash_hook.py" in frames and "_raise_here" in frames
    assert SECRET not in frames and "secret_value" not in frames


def test_an_error_in_a_screen_shows_a_message_and_logs_frames_only(qtbot, caplog, closed_vault, make_shell,
                                                                   unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell)
    hook = CrashHook(shell)
    exc = _raise_here(RuntimeError(SECRET))
    with caplog.at_level(logging.ERROR):
        hook(type(exc), exc, exc.__traceback__)
    assert hook.last_message == MESSAGE
    assert shell.session is not None                     # not in doubt: the vault stays open
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and SECRET not in logged


def test_an_error_from_the_vaults_code_locks(qtbot, caplog, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell)
    vault = shell.session.vault
    try:
        vault.db.execute("SELECT * FROM no_such_table WHERE name = ?", (SECRET,))
    except Exception as caught:  # noqa: BLE001
        exc = caught
    assert state_in_doubt(exc)
    hook = CrashHook(shell)
    with caplog.at_level(logging.ERROR):
        hook(type(exc), exc, exc.__traceback__)
    assert shell.session is None and not vault.is_open
    assert "locked" in hook.last_message
    assert shell.unlock_window is not None
    assert SECRET not in "\n".join(r.getMessage() for r in caplog.records)
    assert PASSPHRASE not in "\n".join(r.getMessage() for r in caplog.records)
