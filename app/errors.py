"""Errors a user can cause, each with the exit code of the `spocdesk` contract (DESIGN.md)."""

from __future__ import annotations


class SpocError(Exception):
    """A failure to report as one clear line; `exit_code` is the CLI's exit status."""

    exit_code = 1


class UsageError(SpocError):
    exit_code = 2


class AuthError(SpocError):
    """Wrong user name, wrong passphrase or recovery key, disabled user, or not permitted."""

    exit_code = 3


class InvalidInput(SpocError):
    """The input was refused and nothing was written."""

    exit_code = 4


class VaultDamaged(SpocError):
    """The vault or its keyslot file is damaged, truncated or tampered with."""

    exit_code = 5


class PackageDamaged(SpocError):
    """A package (or a file inside one) was altered, damaged or forged: its encryption, signature
    or document hash does not check out. Nothing was written."""

    exit_code = 5


class VaultBusy(SpocError):
    """Another process has the vault open."""

    exit_code = 6


class AgreementError(ValueError):
    """The agreement file is unreadable or wrong; the message names the file and field path.
    (Raised by app.agreement; kept here so the command line can catch it without loading the
    agreement code before it is needed.)"""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        location = f"{file}: {field}" if field else file
        super().__init__(f"{location}: {problem}")
