"""Home is a work list (issue 17): linked cards for answers to chase, breach clocks (an overdue
24-hour notification in red, said in words), unsaved work ("Continue your request MSR-…"), and
no internal words such as "chain head"."""

from __future__ import annotations

import datetime as _dt

from app import breaches
from app import requests as rq
from app.drafts import save_draft
from app.timeutil import london_display
from desk_helpers import make_desk, reopen_as, request_data
from fake_session import FakeSession
from ui.home import cards as home_cards
from ui.home.area import HomeArea
from ui.qt import QtWidgets


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

        self.areas = {"requests": Requests(), "breaches": Breaches()}

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
