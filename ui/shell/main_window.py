"""The main window: marking banners, navigation to the areas the user's role allows, a status
bar naming user, role, agency and vault, and Lock (Ctrl+L)."""

from __future__ import annotations

from app import __version__
from app.errors import SpocError
from ui.kit import config
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text, info_box
from ui.kit.widgets import Area, frameless_scroll, MarkingBanner, plain_label

WINDOW_STATE = "main_window"


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
        self.nav.setStyleSheet("QListWidget#areaNavigation::item { padding: 8px 12px; }")
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
        self.resize(1100, 720)
        state = config.window_state(WINDOW_STATE)
        if state:
            self.restoreGeometry(QtCore.QByteArray(state))
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
        if self.session.can("import") and self.session.can("responses.write"):
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

        help_menu = bar.addMenu("&Help")
        about = QtGui.QAction("&About SPOC Desk", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

        toolbar = self.addToolBar("Session")
        toolbar.setObjectName("sessionToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        spacer = QtWidgets.QWidget()
        spacer.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        if hasattr(self, "report_breach_action"):
            self.report_breach_action.setIconText("Report a breach (Ctrl+Shift+B)")
            toolbar.addAction(self.report_breach_action)
        toolbar.addAction(self.lock_action)

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
            label.setStyleSheet("padding: 0 10px;")
            self.statusBar().addPermanentWidget(label)

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

    def receive_package(self, path=None):
        from ui.exchange.packages import receive_package

        dialog = receive_package(self, self.session, path)
        if dialog is not None:
            dialog.received.connect(lambda _result: self._data_changed())
            dialog.open_request.connect(self._open_request)
        return dialog

    def _open_request(self, request_id: str) -> None:
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

    def _about(self) -> None:
        info_box(self, "About SPOC Desk",
                 f"SPOC Desk {__version__}\nAn offline desk for the Single Points of Contact of a Modern "
                 "Slavery information sharing agreement.\nEverything it holds is OFFICIAL-SENSITIVE.").open()

    # ---- locking ---------------------------------------------------------------------------

    def save_window_state(self) -> None:
        config.set_window_state(WINDOW_STATE, bytes(self.saveGeometry()))

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
        if not self._closing_for_lock:
            self.quit_requested.emit()
        event.accept()
