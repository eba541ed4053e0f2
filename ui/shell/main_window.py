"""The main window: marking banners, navigation to the areas the user's role allows, a status
bar naming user, role, agency and vault, and Lock (Ctrl+L)."""

from __future__ import annotations

from app import __version__
from app.errors import SpocError
from app.paths import resource_path
from ui.kit import config, keys
from ui.shell import menus
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text, info_box
from ui.kit.guard import GuardedDialog, ask_discard, asking, not_asking, open_question
from ui.kit.widgets import Area, frameless_scroll, MarkingBanner, plain_label

WINDOW_STATE = "main_window"


def _search_box(root: QtWidgets.QWidget) -> QtWidgets.QLineEdit | None:
    """The visible search or filter box of a screen (by its accessible name or placeholder)."""
    for edit in root.findChildren(QtWidgets.QLineEdit):
        words = f"{edit.accessibleName()} {edit.placeholderText()}".casefold()
        if edit.isVisible() and edit.isEnabled() and ("search" in words or "find" in words or "filter" in words):
            return edit
    return None


class MainWindow(QtWidgets.QMainWindow):
    lock_requested = Signal(str)
    quit_requested = Signal()

    def __init__(self, session, area_classes: list[type[Area]], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._closing_for_lock = False
        self.setWindowTitle(f"{session.path.name} — OFFICIAL-SENSITIVE — SPOC Desk")

        central = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner())
        self.splitter = QtWidgets.QSplitter()
        self.nav = QtWidgets.QListWidget()
        self.nav.setAccessibleName("Areas")
        self.nav.setObjectName("areaNavigation")
        self.nav.setMaximumWidth(240)
        self.nav.setMinimumWidth(160)
        self.stack = QtWidgets.QStackedWidget()
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        outer.addWidget(self.splitter, 1)
        outer.addWidget(MarkingBanner())
        self.setCentralWidget(central)

        self._areas: dict[str, Area] = {}
        go_menu_actions = []
        for number, area_class in enumerate(
                [a for a in area_classes if a.permission is None or session.can(a.permission)], start=1):
            area = area_class(session)
            self._areas[area.key] = area
            from ui.kit import tables

            tables.remember_all(area, area.key)  # every table keeps its widths, order and sort (issue 17)
            scroll = frameless_scroll()
            scroll.setWidget(area)
            self.stack.addWidget(scroll)
            item = QtWidgets.QListWidgetItem(area.title)
            item.setData(Qt.ItemDataRole.UserRole, area.key)
            self.nav.addItem(item)
            go_menu_actions.append((number, area))
        self.nav.currentRowChanged.connect(self._show_row)
        # Areas never import each other: an area that asks for a subject's page (a node of a
        # relationship map) says so by its `open_subject` signal, and the Subjects area shows it.
        if "subjects" in self._areas:
            for area in self._areas.values():
                signal = getattr(area, "open_subject", None)
                if signal is not None:
                    signal.connect(self.open_subject)

        self._build_menus(go_menu_actions)
        self._build_status_bar()
        keys.install()   # Enter presses buttons, focus scrolls into view (ui/kit/keys.py)
        self._fit_to_screen(config.window_state(WINDOW_STATE))
        if self.nav.count():
            self.nav.setCurrentRow(0)

    # ---- building --------------------------------------------------------------------------

    def _build_menus(self, go_menu_actions) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.lock_action = QtGui.QAction("&Lock", self)
        self.lock_action.setIconText("Lock (Ctrl+L)")
        self.lock_action.setShortcut(QtGui.QKeySequence("Ctrl+L"))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setToolTip("Lock the vault now (Ctrl+L)")
        self.lock_action.triggered.connect(lambda: self.lock_requested.emit("manual"))
        file_menu.addAction(self.lock_action)
        if self.session.can("export.all"):   # moving a desk: the administrator
            import_action = QtGui.QAction("&Import a whole-vault file…", self)
            import_action.setShortcut(QtGui.QKeySequence("Ctrl+I"))
            import_action.setToolTip("Move a desk: a whole-vault file or sealed vault package into this empty vault")
            import_action.triggered.connect(self._import_file)
            file_menu.addAction(import_action)
        # The DPM receives the subject access consultations partners send and answer (12.2).
        if (self.session.can("import") and self.session.can("responses.write")) \
                or self.session.can("info_requests.manage"):
            receive_action = QtGui.QAction("&Receive package…", self)
            receive_action.setShortcut(QtGui.QKeySequence("Ctrl+R"))
            receive_action.setToolTip("Open a sealed package a partner desk sent: verified, then imported whole or "
                                      "not at all (you can also drop it on this window)")
            receive_action.triggered.connect(lambda: self.receive_package())
            file_menu.addAction(receive_action)
            self.setAcceptDrops(True)
        if self.session.can("export.all"):
            export_action = QtGui.QAction("&Export whole vault…", self)
            export_action.triggered.connect(self._export_vault)
            file_menu.addAction(export_action)
        file_menu.addSeparator()
        if self.session.user is not None:
            change = QtGui.QAction("&Change my passphrase…", self)
            change.triggered.connect(self._change_own_passphrase)
            file_menu.addAction(change)
        file_menu.addSeparator()
        quit_action = QtGui.QAction("&Quit", self)
        quit_action.setShortcut(QtGui.QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        menus.build_file_actions(self, file_menu)
        menus.build_edit_menu(self, bar)
        menus.build_view_menu(self, bar)

        if self.session.can("breaches.report"):
            # Clause 10: anyone who learns of a breach reports it at once, from whatever screen.
            breach_menu = bar.addMenu("&Breach")
            self.report_breach_action = QtGui.QAction("&Report a breach…", self)
            self.report_breach_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+B"))
            self.report_breach_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            from app.breaches import clock_rule   # the deadline's hours from the agreement

            self.report_breach_action.setToolTip(f"Log a breach for the Data Protection Manager. {clock_rule('dpm')}")
            self.report_breach_action.triggered.connect(self.report_breach)
            breach_menu.addAction(self.report_breach_action)
            # 10.1 names complaints beside breaches: the same menu records one, on the same clock.
            self.report_complaint_action = QtGui.QAction("Record a &complaint…", self)
            self.report_complaint_action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+K"))
            self.report_complaint_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            self.report_complaint_action.setToolTip(f"Record a complaint relative to the agreement. {clock_rule('dpm')}")
            self.report_complaint_action.triggered.connect(self.report_complaint)
            breach_menu.addAction(self.report_complaint_action)

        go_menu = bar.addMenu("&Go")
        for number, area in go_menu_actions:
            action = QtGui.QAction(area.title, self)
            if number <= 9:
                action.setShortcut(QtGui.QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, key=area.key: self.show_area(key))
            go_menu.addAction(action)

        menus.build_help_menu(self, bar)

        toolbar = self.addToolBar("Session")
        toolbar.setObjectName("sessionToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style, icon = self.style(), QtWidgets.QStyle.StandardPixmap
        self.back_action.setIcon(QtGui.QIcon(str(resource_path("icons", "back.svg"))))
        self.back_action.setIconText("Back")
        toolbar.addAction(self.back_action)
        if hasattr(self, "new_request_action"):
            self.new_request_action.setIcon(style.standardIcon(icon.SP_FileIcon))
            self.new_request_action.setIconText("New request")
            toolbar.addAction(self.new_request_action)
        self.find_action.setIcon(style.standardIcon(icon.SP_FileDialogContentsView))
        self.find_action.setIconText("Find")
        toolbar.addAction(self.find_action)
        self.guide_action.setIcon(QtGui.QIcon(str(resource_path("icons", "help.svg"))))
        self.guide_action.setIconText("Help")
        toolbar.addAction(self.guide_action)
        spacer = QtWidgets.QWidget()
        spacer.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        if hasattr(self, "report_breach_action"):
            self.report_breach_action.setIconText("Report a breach (Ctrl+Shift+B)")
            self.report_breach_action.setIcon(style.standardIcon(icon.SP_MessageBoxWarning))
            toolbar.addAction(self.report_breach_action)
        self.lock_action.setIcon(QtGui.QIcon(str(resource_path("icons", "lock.svg"))))
        toolbar.addAction(self.lock_action)
        for action in toolbar.actions():   # each tool button says what it is to a screen reader
            button = toolbar.widgetForAction(action)
            if isinstance(button, QtWidgets.QToolButton):
                button.setAccessibleName(action.iconText() or action.text().replace("&", ""))

    def _build_status_bar(self) -> None:
        session = self.session
        name = session.user.name if session.user else "recovery key"
        self.status_labels = {
            "user": plain_label(f"User: {name}", wrap=False),
            "role": plain_label(f"Role: {session.role_title}", wrap=False),
            "agency": plain_label(f"Agency: {session.agency_name} ({session.vault.agency})", wrap=False),
            "vault": plain_label(f"Vault: {session.path.name}", wrap=False),
        }
        for key, label in self.status_labels.items():
            label.setAccessibleName(key.capitalize())
            self.statusBar().addPermanentWidget(label)

    def _fit_to_screen(self, state) -> None:
        """The first time: the screen's whole available area, maximised. After that: where the
        user left it, pulled back onto the available area if the screen has changed since."""
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1100, 720)
        self.setMinimumSize(min(760, available.width()), min(480, available.height()))
        self.resize(available.size())
        if state and self.restoreGeometry(QtCore.QByteArray(state)):
            frame = self.geometry()
            if not available.contains(frame):
                frame.setWidth(min(frame.width(), available.width()))
                frame.setHeight(min(frame.height(), available.height()))
                frame.moveTopLeft(QtCore.QPoint(max(available.left(), min(frame.left(), available.right() - frame.width())),
                                                max(available.top(), min(frame.top(), available.bottom() - frame.height()))))
                self.setGeometry(frame)
        else:
            self.move(available.topLeft())
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    # ---- areas -----------------------------------------------------------------------------

    def areas(self) -> list[Area]:
        return list(self._areas.values())

    def area(self, key: str) -> Area | None:
        return self._areas.get(key)

    def current_area_key(self) -> str | None:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def show_area(self, key: str) -> bool:
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.nav.setCurrentRow(row)
                return True
        return False

    def open_subject(self, subject_id: str) -> None:
        self.open_record("subjects", lambda: self._open_subject_now(subject_id))

    def _open_subject_now(self, subject_id: str) -> None:
        area = self._areas.get("subjects")
        if area is None or not self.show_area("subjects"):
            return
        try:
            area.show_subject(subject_id)
        except SpocError as exc:
            info_box(self, "SPOC Desk", error_text(exc, "That subject cannot be shown."), warning=True).open()

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        shown = self.stack.currentIndex()
        leaving = self._area_at(shown) if row != shown else None
        if leaving is not None and asking() and self._unsaved(leaving):
            # Switching area with unsaved input: the list stays on this area until the user
            # chooses "Discard changes" (ui/kit/guard.py).
            self._set_nav_row(shown)
            if open_question(self) is None:
                ask_discard(self, True, lambda: (leaving.discard_changes(), self._set_nav_row(row),
                                                 self._show_row_now(row)))
            return
        self._show_row_now(row)

    def _show_row_now(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        key = self.nav.item(row).data(Qt.ItemDataRole.UserRole)
        try:
            self._areas[key].refresh()
        except SpocError as exc:  # a refusal or a full disk is told, not fatal to the window
            info_box(self, "SPOC Desk", str(exc), warning=True).open()

    # ---- actions ---------------------------------------------------------------------------

    def _change_own_passphrase(self) -> None:
        from ui.kit.passphrase_dialog import ChangePassphraseDialog

        dialog = ChangePassphraseDialog(self.session.vault, self.session.user.name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def report_breach(self):
        from ui.breaches.dialog import open_breach_dialog

        area = self._areas.get(self.current_area_key() or "")
        linked = area.breach_context() if area is not None else None
        return open_breach_dialog(self, self.session, linked=linked)

    def report_complaint(self):
        from ui.breaches.complaint_dialog import open_complaint_dialog

        area = self._areas.get(self.current_area_key() or "")
        linked = area.breach_context() if area is not None else None
        return open_complaint_dialog(self, self.session, linked=linked)

    def _import_file(self) -> None:
        from ui.exchange.actions import import_exchange_file

        dialog = import_exchange_file(self, self.session)
        signal = getattr(dialog, "imported", None)
        if signal is not None:
            signal.connect(lambda _summary: self._data_changed())
            dialog.open_request.connect(self._open_request)  # a reference: the requests area resolves it

    def receive_package(self, path=None):
        from ui.exchange.packages import receive_package

        dialog = receive_package(self, self.session, path)
        if dialog is not None:
            dialog.received.connect(lambda _result: self._data_changed())
            dialog.open_request.connect(self._open_request)
        return dialog

    def _open_request(self, request_id: str) -> None:
        self.open_record("requests", lambda: self._open_request_now(request_id))

    def _open_request_now(self, request_id: str) -> None:
        if self.show_area("requests"):
            area = self._areas.get("requests")
            opener = getattr(area, "open_request", None)
            if opener is not None:
                opener(request_id)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        from ui.exchange.packages import dropped_package

        if self.acceptDrops() and dropped_package(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        from ui.exchange.packages import dropped_package

        path = dropped_package(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.receive_package(path)

    def _export_vault(self) -> None:
        from ui.exchange.actions import export_whole_vault

        export_whole_vault(self, self.session)

    def _data_changed(self) -> None:
        for area in self._areas.values():
            area.data_changed()

    # ---- standard keys (ui/shell/menus.py) --------------------------------------------------

    def current_area(self) -> Area | None:
        return self._areas.get(self.current_area_key() or "")

    def go_back(self) -> bool:
        """Alt+Left: back within the area (a form asks first if anything was typed)."""
        area = self.current_area()
        return bool(area is not None and area.go_back())

    def refresh_area(self) -> None:
        area = self.current_area()
        if area is not None:
            try:
                area.refresh()
            except SpocError as exc:
                info_box(self, "SPOC Desk", str(exc), warning=True).open()

    def toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)
        self.full_screen_action.setChecked(bool(self.windowState() & Qt.WindowState.WindowFullScreen))

    def new_request(self) -> None:
        """Ctrl+N: the request form (asks first if the screen shown holds unsaved input)."""
        def go() -> None:
            if self.show_area("requests"):
                self._areas["requests"].open_form(None)

        self.open_record("requests", go)

    def find(self) -> QtWidgets.QWidget | None:
        """Ctrl+F: the search box of the screen shown, else the requests search."""
        area = self.current_area()
        box = _search_box(area) if area is not None else None
        if box is None and "requests" in self._areas and self.session.can("search"):
            requests = self._areas["requests"]
            if area is not requests or requests.stack.currentWidget() is not requests.list_page:
                self.open_record("requests", lambda: (self.show_area("requests"), requests.show_list(),
                                                      requests.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)))
                return requests.search_box
            box = requests.search_box
        if box is not None:
            box.setFocus(Qt.FocusReason.ShortcutFocusReason)
            box.selectAll()
        return box

    def _about(self) -> None:
        info_box(self, "About SPOC Desk",
                 f"SPOC Desk {__version__}\nAn offline desk for the Single Points of Contact of a Modern "
                 "Slavery information sharing agreement.\nEverything it holds is OFFICIAL-SENSITIVE.").open()

    # ---- locking ---------------------------------------------------------------------------

    def save_window_state(self) -> None:
        config.set_window_state(WINDOW_STATE, bytes(self.saveGeometry()))
        from ui.kit import tables

        tables.save_all()  # every table's widths, order and sort (issue 17)

    def scrub(self) -> None:
        """Empty every input and view before the window is destroyed at lock."""
        for view in self.findChildren(QtWidgets.QAbstractItemView):
            if isinstance(view, (QtWidgets.QListWidget, QtWidgets.QTableWidget, QtWidgets.QTreeWidget)):
                view.clear()
            else:
                view.setModel(None)
        for edit in self.findChildren(QtWidgets.QLineEdit):
            edit.clear()
        for edit in self.findChildren(QtWidgets.QTextEdit) + self.findChildren(QtWidgets.QPlainTextEdit):
            edit.clear()
        for label in self.findChildren(QtWidgets.QLabel):
            label.clear()
        for box in self.findChildren(QtWidgets.QComboBox):
            box.clear()

    def close_for_lock(self) -> None:
        self._closing_for_lock = True
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._closing_for_lock and asking() and self.unsaved_holders():
            event.ignore()   # closing the window (or Quit) asks first; a lock keeps drafts instead
            if open_question(self) is None:
                ask_discard(self, True, self._discard_all_and_close)
            return
        if not self._closing_for_lock:
            self.quit_requested.emit()
        event.accept()

    # ---- unsaved work (ui/kit/guard.py) ----------------------------------------------------

    def _area_at(self, row: int) -> Area | None:
        item = self.nav.item(row) if row >= 0 else None
        return self._areas.get(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _set_nav_row(self, row: int) -> None:
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(row)
        self.nav.blockSignals(False)

    @staticmethod
    def _unsaved(holder) -> bool:
        try:
            return bool(holder.has_unsaved_changes())
        except (SpocError, RuntimeError):
            return False

    def unsaved_holders(self) -> list:
        """The areas and open dialogs holding input that closing the window would lose."""
        holders = [area for area in self._areas.values() if self._unsaved(area)]
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if widget is not self and isinstance(widget, GuardedDialog) and widget.isVisible() \
                    and self._unsaved(widget):
                holders.append(widget)
        return holders

    def _discard_all_and_close(self) -> None:
        with not_asking():
            for holder in self.unsaved_holders():
                holder.discard_changes()
            self.close()

    def open_record(self, key: str, then) -> None:
        """Open a record in area `key` (by `then()`): first ask, if the area shown now or the
        record's own area holds unsaved input; "Discard changes" throws that input away."""
        current = self._areas.get(self.current_area_key() or "")
        dirty = [a for a in dict.fromkeys((current, self._areas.get(key))) if a is not None and self._unsaved(a)]

        def go() -> None:
            for area in dirty:
                area.discard_changes()
            then()

        if dirty and open_question(self) is not None:
            return
        ask_discard(self, bool(dirty), go)
