"""Home is a work list (issue 17): linked cards for answers to chase, breach clocks (an overdue
24-hour notification in red, said in words), unsaved work ("Continue your request MSR-…"), and
no internal words such as "chain head"."""

from __future__ import annotations

import datetime as _dt
import gc

import pytest

from app import breaches
from app import requests as rq
from app.drafts import save_draft
from app.timeutil import london_display
from desk_helpers import make_desk, reopen_as, request_data
from fake_session import FakeSession
from ui.home import cards as home_cards
from ui.home.area import HomeArea
from ui.qt import QtCore, QtWidgets


class HomeSession(FakeSession):
    def __init__(self, vault):
        super().__init__(vault)
        self.user = vault.user
        self.agency_name = "Derbyshire Constabulary"
        self.role_title = vault.role


class FakeMain:
    """What a link does to the main window: which area it showed and what it asked of it."""

    def __init__(self):
        self.shown, self.calls = [], []
        main = self

        class Requests:
            def open_request(self, request_id):
                main.calls.append(("open_request", request_id))

            def show_list(self):
                main.calls.append(("show_list",))

        class Breaches:
            def select(self, ref):
                main.calls.append(("select", ref))

        class Cases:
            def select(self, case_id):
                main.calls.append(("select_case", case_id))

        self.areas = {"requests": Requests(), "breaches": Breaches(), "cases": Cases()}

    def show_area(self, key):
        self.shown.append(key)
        return True

    def area(self, key):
        return self.areas.get(key)


def _home(qtbot, vault):
    area = HomeArea(HomeSession(vault))
    qtbot.addWidget(area)
    area.resize(1000, 800)
    area.show()
    area.refresh()
    main = FakeMain()
    area.window = lambda: main  # the links act on the main window
    return area, main


def _texts(area) -> str:
    return "\n".join(w.text() for w in area.findChildren(QtWidgets.QLabel))


def test_the_dpm_home_shows_a_breach_overdue_for_its_24_hour_notification_in_red(qtbot, tmp_path):
    vault = make_desk(tmp_path / "desk.vault")
    aware = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=30)).astimezone()
    breach = breaches.create_breach(vault, {"reporter": "DC Sam Lee", "agency": "DCON", "category": "device-loss",
                                            "aware_at": aware.strftime("%d/%m/%Y %H:%M"), "facts": "Laptop lost.",
                                            "containment": "Wiped remotely."})
    vault = reopen_as(vault, "dora", "dpm")
    try:
        area, main = _home(qtbot, vault)
        clock = [c for c in breaches.get_breach(vault, breach.id).clocks() if c.name == "dpm"][0]
        link = next(b for b in area.card_links if b.link_text().startswith(breach.reference))
        assert "OVERDUE, was due " + london_display(clock.deadline) in link.link_text()
        assert "#b10e1e" in link.label.styleSheet() and "font-weight: bold" in link.label.styleSheet()  # red, and in words
        link.click()
        assert main.shown == ["breaches"] and main.calls == [("select", breach.reference)]
        assert "chain head" not in _texts(area).lower()
    finally:
        vault.close()


def test_a_spoc_home_links_to_answers_to_chase_and_unsaved_work(qtbot, tmp_path):
    vault = make_desk(tmp_path / "desk.vault")
    try:
        late = rq.create_request(vault, request_data())
        rq.send_to_agencies(vault, late.id, ["HMRC"], due_date="2020-01-06")
        editing = rq.create_request(vault, request_data(subjects=[]))
        save_draft(vault, "requests", {"page": "form", "request_id": editing.id, "form": {}})
        area, main = _home(qtbot, vault)
        titles = [c.title for c in area.shown_cards]
        assert titles == ["Answers to chase", "Unsaved work"]
        chase = next(b for b in area.card_links if b.link_text().startswith(late.reference))
        assert "HM Revenue & Customs" in chase.link_text() and chase.accessibleName() == chase.link_text()
        assert "was due 06/01/2020" in chase.link_text() and "OVERDUE" in chase.link_text()
        chase.click()
        assert main.shown == ["requests"] and main.calls == [("open_request", late.id)]
        resume = next(b for b in area.card_links if b.link_text().startswith("Continue your request"))
        assert resume.link_text().startswith(f"Continue your request {editing.reference} (kept ")
        text = _texts(area)
        assert "chain head" not in text.lower() and "requests (kept" not in text
    finally:
        vault.close()


def test_adding_a_card_is_one_small_function(qtbot, tmp_path):
    vault = make_desk(tmp_path / "desk.vault")
    try:
        @home_cards.card(5)
        def corrections_to_make(session):
            return home_cards.Card("Corrections to make", [home_cards.Link("MSR-2026-0001: correct a date",
                                                                           home_cards.open_area("requests"))])
        try:
            area, main = _home(qtbot, vault)
            assert area.shown_cards[0].title == "Corrections to make"
            next(b for b in area.card_links if b.link_text() == "MSR-2026-0001: correct a date").click()
            assert main.shown == ["requests"]
        finally:
            home_cards._MAKERS[:] = [m for m in home_cards._MAKERS if m[2] is not corrections_to_make]
    finally:
        vault.close()


class RealAreas(FakeMain):
    """The main window with real areas: a link shows one and acts on it (as show_area refreshes)."""

    def __init__(self, **areas):
        super().__init__()
        self.areas.update(areas)

    def show_area(self, key):
        self.shown.append(key)
        if key in self.areas and hasattr(self.areas[key], "refresh"):
            self.areas[key].refresh()
        return True


@pytest.fixture
def real_area():
    """Makes real areas, and deletes them (and their garbage) before the next test: pytest-qt's
    deferred deletion would otherwise free them inside a later test that counts references."""
    made = []

    def make(cls, vault):
        area = cls(FakeSession(vault))
        made.append(area)
        area.resize(1200, 900)
        area.show()
        return area

    yield make
    for area in made:
        area.close()
        area.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    QtCore.QCoreApplication.processEvents()
    gc.collect()


def _card(area, title):
    return next(c for c in area.shown_cards if c.title == title)


def test_the_dpm_home_lists_complaints_waiting_with_the_24_hour_clock_in_red(qtbot, tmp_path, real_area):
    from app import complaints as cp
    from app.timeutil import LONDON
    from ui.breaches.area import DpmArea

    def local(hours_ago):
        return (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=hours_ago)).astimezone(LONDON) \
            .strftime("%d/%m/%Y %H:%M")

    vault = make_desk(tmp_path / "desk.vault")
    late = cp.create_complaint(vault, {"complainant_kind": "partner", "complainant": "<b>IG lead</b> & co",
                                       "complainant_agency": "HMRC", "agency": "DCON", "about": "Forwarded",
                                       "received_at": local(30), "received_how": "email"})
    told = cp.create_complaint(vault, {"complainant_kind": "data-subject", "complainant": "Mr A", "agency": "DCON",
                                       "about": "Address shared", "received_at": local(50), "received_how": "letter"})
    done = cp.create_complaint(vault, {"complainant_kind": "staff", "complainant": "PC B", "agency": "DCON",
                                       "about": "A file read", "received_at": local(60), "received_how": "in-person"})
    vault = reopen_as(vault, "dora", "dpm")
    try:
        cp.add_update(vault, told.reference, "dpm-notified", {"who": "Dora"})
        cp.add_update(vault, done.reference, "dpm-notified", {"who": "Dora"})
        cp.add_update(vault, done.reference, "outcome", {"outcome": "upheld", "reason": "Yes"})
        cp.add_update(vault, done.reference, "replied", {"how": "Letter"})
        area, _ = _home(qtbot, vault)
        card = _card(area, "Complaints waiting for the DPM (clause 10.1)")
        assert [link.urgent for link in card.links] == [True, False]  # overdue first; the answered one is gone
        clock = cp.get_complaint(vault, late.reference, audit=False).dpm_clock()
        first = next(b for b in area.card_links if b.link_text().startswith(late.reference))
        assert first.link_text() == (f"{late.reference} from a partner agency (HM Revenue & Customs): "
                                     f"tell the DPM: OVERDUE by 6 hours (was due {london_display(clock.deadline)})")
        assert "#b10e1e" in first.label.styleSheet() and "font-weight: bold" in first.label.styleSheet()
        second = next(b for b in area.card_links if b.link_text().startswith(told.reference))
        assert second.link_text() == f"{told.reference} from a data subject: outcome to decide; reply to send"
        assert "#b10e1e" not in second.label.styleSheet()
        assert done.reference not in _texts(area)
        breaches_area = real_area(DpmArea, vault)
        main = RealAreas(breaches=breaches_area)
        area.window = lambda: main
        second.click()
        assert main.shown == ["breaches"]
        assert breaches_area.tabs.currentWidget() is breaches_area.complaints
        assert breaches_area.complaints.current.reference == told.reference
    finally:
        vault.close()


def test_governance_cards_for_the_administrator_and_the_dpm(qtbot, tmp_path, real_area):
    from app import governance
    from ui.admin.users import UsersArea
    from ui.governance.area import GovernanceArea
    from ui.kit.formatting import uk_date

    vault = make_desk(tmp_path / "desk.vault", role="spoc")  # bob: a casework user, no approval recorded
    admin = current = reopen_as(vault, "alice")
    try:
        governance.set_signatory(admin, "DWP", {"name": "A", "position": "B", "signed_on": "2024-01-10"})
        dispute = governance.raise_dispute(admin, {
            "partner": "HMRC", "raised_by": "us", "about": "x",
            "raised_on": (_dt.date.today() - _dt.timedelta(days=11)).isoformat()})
        home, _ = _home(qtbot, admin)
        titles = [c.title for c in home.shown_cards]
        assert titles[-3:] == ["Agreement reviews overdue (clause 13.4)", "Disputes past their clock (clause 13.3)",
                               "Users without approval or in-date training (clauses 3.1, 6.4)"]
        review = _card(home, titles[-3]).links
        assert [(link.text, link.urgent) for link in review] == [
            ("Department for Work and Pensions: signed 10/01/2024, review was due "
             f"{uk_date(next(s for s in governance.signatories(admin) if s.partner == 'DWP').review_due)}: OVERDUE", True)]
        disputes = _card(home, titles[-2]).links
        assert len(disputes) == 1 and disputes[0].urgent
        assert disputes[0].text.startswith(f"{dispute.reference} with HM Revenue & Customs: OVERDUE, was due ")
        users = _card(home, titles[-1]).links
        assert [(link.text, link.urgent) for link in users] == [("bob: no approval recorded, no training recorded",
                                                                 False)]
        # The lines moved out of the list under "Due" (shown only when something else is due).
        assert "OVERDUE (13.3)" not in home.due.text() and "13.4" not in home.due.text()
        assert "without approval" not in home.due.text()
        gov, people = real_area(GovernanceArea, admin), real_area(UsersArea, admin)
        main = RealAreas(governance=gov, users=people)
        home.window = lambda: main
        next(b for b in home.card_links if b.link_text().startswith("Department for Work")).click()
        next(b for b in home.card_links if b.link_text().startswith(dispute.reference)).click()
        assert main.shown == ["governance", "governance"]
        assert gov.selected_dispute().reference == dispute.reference
        next(b for b in home.card_links if b.link_text().startswith("bob:")).click()
        assert main.shown[-1] == "users" and people.selected_user().name == "bob"
        # The DPM sees the same three cards; users are managed by the administrator, so not a link there.
        current = reopen_as(admin, "dora", "dpm")
        home, _ = _home(qtbot, current)
        assert [c.title for c in home.shown_cards][-3:] == titles[-3:]
        assert _card(home, titles[-1]).links[0].go is None
        line = next(w for w in home.findChildren(QtWidgets.QLabel) if w.text().startswith("bob:"))
        assert "#1d70b8" not in line.styleSheet()  # plain words, not in the blue of a link
        assert not any(b.link_text().startswith("bob:") for b in home.card_links)
        current = reopen_as(current, "bob")
        home, _ = _home(qtbot, current)
        assert not set(titles[-3:]) & {c.title for c in home.shown_cards}  # not the SPOC's work
    finally:
        current.close()


def test_unsaved_work_names_a_reopened_dialog_and_the_contact_form_in_words(tmp_path):
    """A dialog kept over a lock is open again in its own window: its line says so and opens no
    area (there is no "governance_dialog" area to open); the contact form's line opens Partners."""
    vault = make_desk(tmp_path / "desk.vault")
    try:
        save_draft(vault, "governance_dialog", {"context": {"action": "raise_dispute"}, "fields": {}})
        save_draft(vault, "partners", {"contact_form": {"partner": "HMRC", "fields": {}}})
        session = FakeSession(vault)
        session.user = vault.user
        [card] = [c for c in home_cards.cards(session) if c.title == "Unsaved work"]
        lines = {link.text.split(" (kept ")[0]: link.go for link in card.links}
        assert lines.keys() == {"The governance form you were filling in is open again in its window",
                                "Continue the contact you were adding or editing"}
        assert lines["The governance form you were filling in is open again in its window"] is None
        assert lines["Continue the contact you were adding or editing"] is not None
    finally:
        vault.close()


def test_outstanding_case_actions_and_referral_outcomes_are_linked_cards(qtbot, tmp_path):
    """What is awaited on cases is a card of links to each case (overdue first, in red), not a
    plain list on Home."""
    from app import cases as cs

    vault = make_desk(tmp_path / "desk.vault")
    try:
        case = cs.create_case(vault, {"source": "agency-duties", "lead_agency": "DCON", "title": "Car wash"})
        request = rq.create_request(vault, request_data())
        victim = next(s.id for s in request.subjects if s.kind == "person")
        cs.add_referral(vault, case.id, {"kind": "nrm", "subject_id": victim, "referred_on": "2026-03-05",
                                         "first_responder": "Derbyshire Constabulary", "consent": "given"})
        area, main = _home(qtbot, vault)
        card = next(c for c in area.shown_cards if c.title.startswith("Cases:"))
        (line,) = card.links
        assert line.text.startswith(f"{case.reference}: National Referral Mechanism")
        assert "Reasonable grounds decision awaited" in line.text
        link = next(b for b in area.card_links if b.link_text() == line.text)
        link.click()
        assert main.shown == ["cases"] and main.calls == [("select_case", case.id)]
        assert not any("•" in w.text() for w in area.findChildren(QtWidgets.QLabel) if w.isVisible()
                       and case.reference in w.text()), "the case is a link, not a bullet"
    finally:
        vault.close()
