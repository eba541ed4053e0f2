"""Home: a work list first (issue 17): cards of linked lines for what is waiting (ui/home/cards.py:
answers to give and to chase, breach clocks, unsaved work), then who you are on this desk, what is
due, and what your role lets you do."""

from __future__ import annotations

from app.cases import count_cases, outstanding
from app.requests import count_requests
from app.users import acknowledge_notice, list_users, open_notices
from app.roles import PERMISSIONS, ROLES
from app.timeutil import london_display
from app.errors import SpocError
from ui.qt import QtCore, QtWidgets, Qt
from ui.home.cards import Card, Link, cards
from ui.kit.formatting import uk_time
from ui.kit.widgets import Area, frameless_scroll, heading, plain_label
from ui.kit import theme

_RING = 4   # room for the focus ring (3 px, resources/style.qss) beside a card link's words

NOTICE_KINDS = {"account-created": "account created", "passphrase-reset": "passphrase reset"}


class LinkButton(QtWidgets.QPushButton):
    """A link on a card: a flat button (focus, Enter and Space, a button to screen readers) whose
    text is a plain, word-wrapped label, so a long line wraps at 150 % instead of running off."""

    def __init__(self, text: str, colour: str, urgent: bool):
        super().__init__()
        self.setFlat(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(text)
        # No border of its own: the application's stylesheet draws a flat button's 3 px ring when
        # it has the focus (a widget's own border would hide it); the label sits inside the ring.
        theme.style(self, "QPushButton { padding: 0; text-align: left; }")
        self.label = plain_label(text)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        theme.style(self.label, f"color: {colour}; text-decoration: underline;"
                                 + (" font-weight: bold;" if urgent else ""))
        box = QtWidgets.QHBoxLayout(self)
        box.setContentsMargins(_RING, 3, _RING, 3)
        box.addWidget(self.label)
        policy = QtWidgets.QSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                                       QtWidgets.QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def link_text(self) -> str:
        return self.label.text()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self.label.heightForWidth(width - 2 * _RING) + 6

    def sizeHint(self):  # noqa: N802 - Qt's name
        hint = self.label.sizeHint()
        return QtCore.QSize(min(hint.width() + 2 * _RING, 900), hint.height() + 6)

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        return QtCore.QSize(120, self.label.fontMetrics().height() + 6)


class HomeArea(Area):
    key = "home"
    title = "Home"
    permission = None

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        outer.addWidget(scroll)
        page = QtWidgets.QWidget()
        scroll.setWidget(page)
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(24, 16, 24, 16)
        self.welcome = heading("")
        layout.addWidget(self.welcome)
        # the work list: one card per kind of thing waiting (ui/home/cards.py)
        self.cards_box = QtWidgets.QVBoxLayout()
        self.cards_box.setSpacing(10)
        layout.addLayout(self.cards_box)
        self.card_links: list[QtWidgets.QPushButton] = []
        layout.addSpacing(12)
        self.summary = plain_label("")
        layout.addWidget(self.summary)
        self.due_heading = heading("What is due", 2)
        layout.addSpacing(12)
        layout.addWidget(self.due_heading)
        self.due = plain_label("")
        self.due.setAccessibleName("What is due")
        layout.addWidget(self.due)
        # For the Data Protection Manager: casework accounts made and passphrases reset by an
        # administrator, until acknowledged (issue 16).
        self.notices_box = QtWidgets.QWidget()
        notices_layout = QtWidgets.QVBoxLayout(self.notices_box)
        notices_layout.setContentsMargins(0, 12, 0, 0)
        notices_layout.addWidget(heading("Account changes to acknowledge", 2))
        notices_layout.addWidget(plain_label(
            "An administrator made these casework accounts or reset these passphrases. Check each was "
            "approved (clauses 3.1 and 6.4), then acknowledge it."))
        self.notices = QtWidgets.QVBoxLayout()
        notices_layout.addLayout(self.notices)
        self.notice_buttons: list[QtWidgets.QPushButton] = []
        self.notices_box.hide()
        layout.addWidget(self.notices_box)
        layout.addSpacing(12)
        layout.addWidget(heading("What your role lets you do", 2))
        self.permissions = plain_label("")
        layout.addWidget(self.permissions)
        layout.addStretch(1)

    def refresh(self) -> None:
        session = self.session
        vault = session.vault
        self.welcome.setText(f"Welcome, {session.user.name}" if session.user else "Recovery session")
        users = len([u for u in list_users(vault) if u.active])
        lines = [
            f"Desk: {session.agency_name} ({vault.agency})",
            f"Vault: {session.path.name}",
            f"Your role: {session.role_title}",
            f"Active users: {users}",
        ]
        if session.can("requests.read"):
            lines.append(f"Personal data requests: {count_requests(vault, 'open')} open, "
                         f"{count_requests(vault, 'draft')} not sent yet")
        if session.can("cases.read"):   # what is outstanding on them is a card (ui/home/cards.py)
            waiting = outstanding(vault, limit=50)
            lines.append(f"Cases: {count_cases(vault, 'open')} open; {len(waiting)} referral outcomes or actions "
                         "outstanding")
        self.summary.setText("\n".join(lines))
        self._show_cards()
        due = _due_lines(session)
        self.due_heading.setVisible(bool(due))
        self.due.setVisible(bool(due))
        self.due.setText("\n".join(due))
        allowed = sorted(p for p in PERMISSIONS if session.can(p))
        self.permissions.setText("\n".join(f"• {_describe(p)}" for p in allowed) or "Nothing yet.")
        self._show_notices()

    def _show_cards(self) -> None:
        while self.cards_box.count():
            item = self.cards_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.card_links = []
        self.shown_cards = cards(self.session) if self.session.user is not None else []
        for made in self.shown_cards:
            self.cards_box.addWidget(self._card_widget(made))

    def _card_widget(self, made: Card) -> QtWidgets.QWidget:
        frame = QtWidgets.QFrame()
        frame.setObjectName("homeCard")
        urgent = any(link.urgent for link in made.links)
        theme.style(frame, "QFrame#homeCard { border: 1px solid {border}; border-left: 6px solid %s; "
                            "background: {panel}; }" % ("{danger}" if urgent else "{accent}"))
        frame.setAccessibleName(made.title)
        box = QtWidgets.QVBoxLayout(frame)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(2)
        box.addWidget(heading(made.title, 2))
        if not made.links and made.empty:
            box.addWidget(plain_label(made.empty))
        for link in [*made.links, *([made.more] if made.more else [])]:
            box.addWidget(self._link(link))
        return frame

    def _link(self, link: Link) -> QtWidgets.QWidget:
        colour = "{danger}" if link.urgent else "{link}"
        if link.go is None:
            label = plain_label(link.text)  # not a link: not in the links' blue, which would invite a click
            theme.style(label, f"color: {colour}; font-weight: bold;" if link.urgent else "")
            return label
        button = LinkButton(link.text, colour, link.urgent)
        button.clicked.connect(lambda _c=False, go=link.go: self.follow(go))
        self.card_links.append(button)
        return button

    def follow(self, go) -> None:
        main = self.window()
        if hasattr(main, "show_area"):
            go(main)

    def _show_notices(self) -> None:
        while self.notices.count():
            item = self.notices.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.notice_buttons = []
        if not self.session.can("accounts.acknowledge"):
            self.notices_box.hide()
            return
        notices = open_notices(self.session.vault)
        self.notices_box.setVisible(bool(notices))
        for notice in notices:
            row = QtWidgets.QWidget()
            row_layout = QtWidgets.QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            what = NOTICE_KINDS.get(notice.kind, notice.kind)
            why = " (it may be known to someone else)" if notice.detail == "may-be-known" else ""
            role = ROLES.get(notice.role, notice.role).split(":")[0]
            text = (f"{notice.user_name} ({role}): {what}{why} by {notice.by_user}, "
                    f"{london_display(notice.at)}")
            row_layout.addWidget(plain_label(text), 1)
            button = QtWidgets.QPushButton("Acknowledge")
            button.setAccessibleName(f"Acknowledge: {text}")
            button.clicked.connect(lambda _c=False, nid=notice.id: self.acknowledge(nid))
            row_layout.addWidget(button)
            self.notice_buttons.append(button)
            self.notices.addWidget(row)

    def acknowledge(self, notice_id: str) -> None:
        try:
            acknowledge_notice(self.session.vault, notice_id)
        except SpocError:
            pass  # already acknowledged elsewhere: the refresh shows what is left
        self._show_notices()


def _due_lines(session) -> list[str]:
    """The Data Protection Manager's clocks: subject access and FOI answers due or stopped, and
    retained records due for review (12, 8.1)."""
    lines: list[str] = []
    vault = session.vault
    if session.can("info_requests.read"):
        from app.subject_access import due_summary, list_requests

        open_count = len(list_requests(vault, status="open", audit=False))
        soon = due_summary(vault)
        lines.append(f"Subject access and FOI: {open_count} open; {len(soon)} due within 7 days, overdue or "
                     "with the clock stopped")
        for request, clock in soon[:8]:
            lines.append(f"  • {request.reference} ({request.kind_label}): {clock.text()}")
    if session.can("retention.review"):
        from app.retention import due_count

        lines.append(f"Retention: {due_count(vault)} retained records due for review (clause 8.1)")
    if session.can("accounts.acknowledge"):   # the Data Protection Manager
        from app.exchange.packages import unencrypted_exports

        plain = unencrypted_exports(vault)
        if plain:
            latest = plain[0]
            lines.append(f"Unencrypted whole-vault files made: {len(plain)}; the latest {uk_time(latest['at'])} by "
                         f"{latest['by']}. Check each was moved to where it was needed and then deleted.")
    return lines


_DESCRIPTIONS = {
    "accounts.acknowledge": "Acknowledge new casework accounts and passphrase resets",
    "users.manage": "Add, disable and reset users",
    "policy.manage": "Set the vault policy (idle lock, remembered keys, deadlines)",
    "vault.backup": "Back up the vault",
    "vault.verify": "Verify the vault and its audit trail",
    "vault.status": "See the vault's status",
    "audit.read": "Read the audit trail",
    "requests.read": "Read personal data requests and their responses",
    "requests.write": "Raise and send personal data requests (Appendix 2)",
    "responses.write": "Answer requests sent to this desk",
    "disclosures.read": "Read the disclosure register",
    "disclosures.write": "Record onward disclosures",
    "contacts.read": "See the partners directory",
    "contacts.manage": "Keep this desk's partner contacts",
    "partners.suspend": "Suspend or resume sharing with a partner (clause 13.2)",
    "exchange.fallback": "Record a partner's equipment malfunction, the signatories told and the alternative "
                         "exchange until repair (clause 10.2)",
    "search": "Search requests, subjects and responses",
    "export.request": "Make sealed packages of requests and responses for partner desks",
    "export.all": "Export the whole vault (to move this desk)",
    "import": "Receive sealed packages from partner desks",
    "partners.read": "See which partner desks' cards are trusted",
    "partners.trust": "Trust a partner desk's card after a telephone check (clause 9.5)",
    "desk.keys": "Save, rotate and revoke this desk's card",
    "breaches.report": "Report a breach (Ctrl+Shift+B) or record a complaint (Ctrl+Shift+K) from the Breach menu",
    "governance.read": "See the agreement register: signatories, reviews and disputes",
    "governance.manage": "Record signatories and adopt a new version of the agreement",
    "disputes.manage": "Record disputes with partners and their steps (clause 13.3)",
    "compliance.read": "Print the joint compliance report (clause 13.1)",
    "compliance.returns": "Make and import compliance returns that reconcile registers with partners",
    "breaches.read": "Read the breach log",
    "breaches.manage": "Manage breaches: notifications, risk, the ICO decision, suspensions",
    "meetings.read": "Read tactical meetings: attendance, agenda, decisions and 4P actions",
    "meetings.manage": "Run tactical meetings: attendees and their confidentiality acceptance, agenda, decisions, "
                       "4P actions, the chair's permissions for further disclosure",
    "retention.review": "Review retained records against the retention rules (clause 8.1)",
    "retention.decide": "Keep a record until a date, put it on legal hold, or record the event its rule counts from",
    "retention.dispose": "Approve disposal of records, with a disposal certificate (clause 9.3)",
    "info_requests.read": "Read subject access and FOI requests and subject files (clause 12)",
    "info_requests.manage": "Log subject access and FOI requests, consult partners (12.2), decide each item",
    "cases.read": "Read cases, their stages, referrals and relationship maps",
    "cases.manage": "Run cases through the tactical response process (Appendix 2a): stages, requests, referrals",
    "corrections.flag": "Flag information as inaccurate, out of date or inadequate (clause 7.2)",
    "corrections.read": "See the corrections register and what is outstanding (clause 7.2)",
    "corrections.record": "Record corrections to this desk's information and send notices and corrections to "
                          "partner desks (clause 7.2)",
}


def _describe(permission: str) -> str:
    return _DESCRIPTIONS.get(permission, permission.replace(".", ": ").replace("_", " ").capitalize())
