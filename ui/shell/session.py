"""The signed-in session the screens work with: the open vault, who is using it, and the
application's clipboard guard. It lives from unlock to lock and is then dropped."""

from __future__ import annotations

from pathlib import Path

from app.roles import ROLES, can
from ui.kit import clipboard


class Session:
    def __init__(self, path: Path, vault):
        self.path = Path(path)
        self.vault = vault

    @property
    def user(self):
        return self.vault.user

    @property
    def role(self) -> str:
        return self.vault.role

    @property
    def role_title(self) -> str:
        return ROLES.get(self.role, self.role).split(":")[0]

    @property
    def agency_name(self) -> str:
        from app.agreement import load_agreement

        return load_agreement().partner_name(self.vault.agency)

    def can(self, permission: str) -> bool:
        return can(self.role, permission)

    def copy_text(self, text: str) -> None:
        clipboard.copy_text(text)
