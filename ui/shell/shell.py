"""The shell: which top-level window shows, and the lock discipline (KeePassXC's habit).

Lock (manual, idle, screen lock, quit): keep each form's unsaved input as an encrypted draft in
the vault, close every dialog, clear the clipboard if it still holds what we copied, empty and
destroy the main window (so no widget or model keeps personal data), close the database and
drop the key, then show only the unlock screen. Unlock rebuilds the window where the user was.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from app.drafts import discard_draft, load_draft, save_draft
from app.errors import SpocError
from app.policy import get_policy
from ui.kit import clipboard
from ui.kit import config
from ui import worker
from ui.shell.idle import IdleWatcher
from ui.qt import QtCore, QtWidgets
from ui.shell.screenlock import ScreenLockWatcher
from ui.shell.session import Session
from ui.shell.unlock import UnlockWindow

if TYPE_CHECKING:  # loaded when first needed, not before the first window shows
    from ui.shell.main_window import MainWindow
    from ui.shell.start import StartWindow

log = logging.getLogger(__name__)

# Set-up that no first window needs waits this long after start (a zero timer could run before
# the first paint); an unlock does it at once if it comes sooner.
AFTER_FIRST_WINDOW_MS = 250

LOCK_NOTICES = {
    "manual": "Locked. Unlock to carry on where you were.",
    "idle": "Locked after {minutes} minutes without use. Unlock to carry on where you were.",
    "screen": "Locked because this workstation's screen was locked.",
    "suspended": "Locked because the session was suspended.",
    "error": "Locked after an unexpected error, to keep the vault safe. Unlock to carry on.",
}


# Dialogs whose unsaved input survives a lock: draft key -> "module:function(parent, session)"
# that opens the dialog again. The dialog has `draft_key`, `draft_state()` and
# `restore_draft_state(payload)`, like an area.
DIALOG_DRAFTS: dict[str, str] = {"breach_dialog": "ui.breaches.dialog:open_breach_dialog",
                                 "complaint_dialog": "ui.breaches.complaint_dialog:open_complaint_dialog"}
# A dialog about one record (ui.kit.dialogs.FormDialog.keep_over_lock): its opener is marked
# `takes_draft` and is called with the draft's payload too, to find the record; it returns None
# when the record has gone or may no longer be changed (the draft is then let go).
DIALOG_DRAFTS.update({"users_dialog": "ui.admin.users:reopen_dialog",
                      "governance_dialog": "ui.governance.area:reopen_dialog",
                      "corrections_dialog": "ui.corrections.area:reopen_dialog",
                      "correction_strip_dialog": "ui.kit.correction_flag:reopen_dialog"})


def default_areas() -> list:
    from ui.audit.area import AuditArea
    from ui.disclosures.area import DisclosuresArea
    from ui.consent.area import ConsentsArea
    from ui.breaches.area import DpmArea
    from ui.corrections.area import CorrectionsArea
    from ui.home.area import HomeArea
    from ui.meetings.area import MeetingsArea
    from ui.cases.area import CasesArea
    from ui.subjects.area import SubjectsArea
    from ui.partners.area import PartnersArea
    from ui.requests.area import RequestsArea
    from ui.retention.area import RetentionArea
    from ui.subject_access.area import SubjectAccessArea
    from ui.admin.settings import SettingsArea
    from ui.admin.users import UsersArea
    from ui.governance.area import GovernanceArea

    return [HomeArea, RequestsArea, CasesArea, SubjectsArea, MeetingsArea, DpmArea, CorrectionsArea,
            SubjectAccessArea, RetentionArea, DisclosuresArea, ConsentsArea, PartnersArea, GovernanceArea, UsersArea,
            SettingsArea, AuditArea]


class Shell(QtCore.QObject):
    _closing_for_lock = False   # True while a lock closes the dialogs (their drafts were just kept)

    def __init__(self, area_classes: list | None = None, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        # The areas (and all they import) load at the first unlock, not before the unlock screen.
        self._area_classes = area_classes
        self.start_window: StartWindow | None = None
        self.unlock_window: UnlockWindow | None = None
        self.main_window: MainWindow | None = None
        self.wizard = None
        self.session: Session | None = None
        self.path: Path | None = None
        self._return_to: tuple[str, str] | None = None   # (user, area key)
        self.idle = IdleWatcher(self)
        self.idle.idle.connect(lambda: self.lock("idle"))
        self._screen: ScreenLockWatcher | None = None
        self._watching_state = False
        # with the shell as context: a shell gone by then is not called
        QtCore.QTimer.singleShot(AFTER_FIRST_WINDOW_MS, self, self._watch_after_first_window)
        QtWidgets.QApplication.instance().aboutToQuit.connect(self.shutdown)

    def _watch_after_first_window(self) -> None:
        """The D-Bus screensaver and the application's state are watched from just after the first
        window shows (and at the latest from the first unlock). applicationStateChanged carries a
        Qt-namespace enum, which PySide can hand to Python only once it has built the namespace's
        enums (ui/qt.py): built here, not before the first window."""
        self.screen  # noqa: B018 - the property connects the watcher
        if not self._watching_state:
            self._watching_state = True
            QtCore.Qt  # noqa: B018 - the namespace, so its enums can be passed to the slot
            QtWidgets.QApplication.instance().applicationStateChanged.connect(self._application_state)

    @property
    def screen(self) -> ScreenLockWatcher:
        if self._screen is None:
            self._screen = ScreenLockWatcher(self)
            self._screen.screen_locked.connect(lambda: self.lock("screen"))
        return self._screen

    @property
    def area_classes(self) -> list:
        if self._area_classes is None:
            self._area_classes = default_areas()
        return self._area_classes

    # ---- what shows ------------------------------------------------------------------------

    def start(self, path: Path | None = None) -> None:
        if path is None:
            self.show_start()
        else:
            self.show_unlock(Path(path))

    def _close_windows(self) -> None:
        for attr in ("start_window", "unlock_window"):
            window = getattr(self, attr)
            if window is not None:
                worker.abandon_within(window)  # an unlock still running opens nothing now
                window.hide()
                window.deleteLater()
                setattr(self, attr, None)

    def show_start(self) -> None:
        self._close_windows()
        from ui.shell.start import StartWindow

        self.start_window = StartWindow()
        self.start_window.open_vault.connect(self.show_unlock)
        self.start_window.create_vault.connect(self.show_create)
        self.start_window.show()

    def show_create(self) -> None:
        from ui.shell.create_wizard import CreateVaultWizard

        self.wizard = CreateVaultWizard(parent=self.start_window)
        self.wizard.vault_created.connect(self._created)
        self.wizard.open()

    def _created(self, vault) -> None:
        self.wizard = None
        config.remember_vault(vault.path)
        if vault.user is not None:
            config.set_vault_setting(vault.path, "last_user", vault.user.name)
        self.unlocked(vault)

    def show_unlock(self, path: Path, notice: str = "") -> None:
        self._close_windows()
        self.path = Path(path).absolute()
        self.unlock_window = UnlockWindow(self.path, notice)
        self.unlock_window.unlocked.connect(self.unlocked)
        self.unlock_window.choose_other_vault.connect(self.show_start)
        self.unlock_window.show()
        self.unlock_window.raise_()
        self.unlock_window.activateWindow()

    # ---- unlock ----------------------------------------------------------------------------

    def unlocked(self, vault) -> None:
        self._watch_after_first_window()
        self.path = Path(vault.path).absolute()
        session = Session(self.path, vault)
        self.session = session
        policy = get_policy(vault)
        config.set_vault_setting(self.path, "keyring_allowed", bool(policy.keyring_allowed))
        self._close_windows()
        from ui.shell.main_window import MainWindow

        main = MainWindow(session, self.area_classes)
        main.lock_requested.connect(self.lock)
        main.quit_requested.connect(self._quit_from_window)
        self.main_window = main
        for area in main.areas():
            signal = getattr(area, "policy_changed", None)
            if signal is not None:
                signal.connect(self.rearm_idle)
        restored = self._restore_drafts(main)
        self._reopen_dialog_drafts(main)
        if self._return_to and session.user and self._return_to[0] == session.user.name:
            main.show_area(self._return_to[1])
        elif restored:
            main.show_area(restored[0])
        self._return_to = None
        main.show()
        main.raise_()
        main.activateWindow()  # keyboard focus (Ctrl+L) goes to the window that replaced the unlock screen
        self.screen.watch_window(main)
        self.rearm_idle()

    def rearm_idle(self) -> None:
        if self.session is not None:
            self.idle.start(get_policy(self.session.vault).idle_lock_minutes)

    def _restore_drafts(self, main: MainWindow) -> list[str]:
        restored = []
        if self.session is None or self.session.user is None:
            return restored
        for area in main.areas():
            try:
                draft = load_draft(self.session.vault, area.key)
                if draft is not None:
                    area.restore_draft_state(draft.payload)
                    restored.append(area.key)
            except (SpocError, ValueError, KeyError, TypeError):
                log.warning("draft.restore_failed area=%s", area.key)
        return restored

    def _reopen_dialog_drafts(self, main: MainWindow) -> None:
        if self.session is None or self.session.user is None:
            return
        import importlib

        for key, opener in DIALOG_DRAFTS.items():
            try:
                draft = load_draft(self.session.vault, key)
                if draft is None:
                    continue
                module, function = opener.split(":")
                open_again = getattr(importlib.import_module(module), function)
                if getattr(open_again, "takes_draft", False):
                    dialog = open_again(main, self.session, draft.payload)
                else:
                    dialog = open_again(main, self.session)
                if dialog is None:
                    discard_draft(self.session.vault, key)
                    continue
                dialog.restore_draft_state(draft.payload)
                dialog.finished.connect(lambda _result, k=key: self._reopened_dialog_finished(k))
                # on top of the main window, which shows (and is raised) after this
                QtCore.QTimer.singleShot(0, dialog, lambda d=dialog: (d.raise_(), d.activateWindow()))
            except (SpocError, ValueError, KeyError, TypeError):
                log.warning("draft.reopen_failed dialog=%s", key)

    def _reopened_dialog_finished(self, key: str) -> None:
        """A dialog reopened from its draft was saved, cancelled or discarded by the user: its draft
        goes (else it would come back at every unlock). A lock keeps it: it saved it just now."""
        if self._closing_for_lock or self.session is None or self.session.vault is None:
            return
        try:
            discard_draft(self.session.vault, key)
        except SpocError:
            log.warning("draft.discard_failed dialog=%s", key)

    # ---- lock ------------------------------------------------------------------------------

    def lock(self, reason: str = "manual", *, show_unlock: bool = True) -> None:
        session = self.session
        if session is None:
            return
        # No wait for work already running on the vault (adding a user, a search, a page): no new
        # work starts while locking, every running op's result is dropped, and the vault stops
        # serving other threads, so their work fails at its next statement in the pool and the
        # lock goes ahead at once (DESIGN.md, Layers: long work off the GUI thread).
        with worker.refusing_new_work():
            if worker.abandon_all():
                try:
                    session.vault.interrupt()
                except SpocError:
                    pass
            kept_drafts = self._lock(session, reason)
        if show_unlock and self.path is not None:
            notice = LOCK_NOTICES.get(reason, LOCK_NOTICES["manual"])
            if reason == "idle":
                from ui.kit.formatting import plural  # at lock time: the start-up path does without it

                minutes = self.idle.timer.interval() / 60_000
                shown = plural(minutes, "minute")
                notice = notice.replace("{minutes} minutes", shown)
            if kept_drafts is False:
                notice += "\nYour unsaved input could not be kept: the vault could not be written."
            elif kept_drafts:
                notice += "\nYour unsaved input was kept, encrypted in the vault, and comes back when you unlock."
            self.show_unlock(self.path, notice)

    def _lock(self, session: Session, reason: str):
        """Keep the drafts, close dialogs and the main window, close the vault; returns what
        _keep_drafts said."""
        main = self.main_window
        self.idle.stop()
        kept_drafts = self._keep_drafts(session, main)
        from ui.kit.guard import not_asking

        with not_asking():   # the input was kept as a draft just now: nothing to ask
            self._closing_for_lock = True
            try:
                self._close_dialogs()
            finally:
                self._closing_for_lock = False
        clipboard.guard().clear_if_ours()
        if main is not None:
            if session.user is not None:
                self._return_to = (session.user.name, main.current_area_key() or "")
            main.save_window_state()
            main.scrub()
            main.hide()
            main.deleteLater()
            self.main_window = None
        self.session = None
        try:  # the unlock screen offers "remember" only where the policy allowed it last time
            config.set_vault_setting(self.path, "keyring_allowed", bool(get_policy(session.vault).keyring_allowed))
        except SpocError:
            pass
        session.vault.close(reason=reason)
        session.vault = None
        log.info("session.locked reason=%s", reason)
        return kept_drafts

    def _keep_drafts(self, session: Session, main: MainWindow | None):
        """True if drafts were kept, None if there were none, False if keeping them failed."""
        if main is None or session.user is None:
            return None
        kept = None
        holders = [(area.key, area) for area in main.areas()]
        open_dialogs = {}
        for widget in QtWidgets.QApplication.topLevelWidgets():
            key = getattr(widget, "draft_key", None)
            if key and widget.isVisible() and callable(getattr(widget, "draft_state", None)):
                open_dialogs[key] = widget
        holders += list(open_dialogs.items())
        # A dialog with a draft kept from before that is not open now: leave its draft alone.
        for key, holder in holders:
            try:
                state = holder.draft_state()
                if state:
                    save_draft(session.vault, key, state)
                    kept = True
                else:
                    discard_draft(session.vault, key)
            except SpocError:
                log.warning("draft.save_failed holder=%s", key)
                return False
        return kept

    def _close_dialogs(self) -> None:
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, QtWidgets.QDialog) and widget.isVisible():
                widget.reject()
                widget.hide()
                widget.deleteLater()

    def _application_state(self, state) -> None:
        if state == QtCore.Qt.ApplicationState.ApplicationSuspended:
            self.lock("suspended")

    def _quit_from_window(self) -> None:
        self.lock("quit", show_unlock=False)
        QtWidgets.QApplication.instance().quit()

    def shutdown(self) -> None:
        """On quit: lock without showing anything, and leave the clipboard clean."""
        self.lock("quit", show_unlock=False)
        clipboard.guard().clear_if_ours()
