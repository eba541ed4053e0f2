"""Realistic, wholly fictitious demo data for a police (lead partner) desk.

`populate(vault, size)` fills an open vault with `size` requests spread over about three years,
their subjects (people with names of many origins: English, Romanian, Vietnamese, Albanian,
Polish, Lithuanian, Ukrainian and Russian in Cyrillic script, Chinese, Eritrean; businesses and
locations), dispatches to partners in every status (some overdue), responses received (with
lawful bases and the 5.4 answers, nil returns and a few declined), the disclosure register for
all of it, a few onward disclosures, partner contacts (one with an e-mail address that no
secure channel accepts, to show the warning) and a lifted partner suspension; breaches, tactical
meetings, and three cases (Appendix 2a) with their stage histories, linked requests and meetings,
referrals and links between their subjects, so the Cases area and its map are populated.

Everything is written with executemany in one transaction, with the full-text index rebuilt once
at the end; `progress(done, total)` is called as it goes. Measured on the development container:
1,000 requests about 1 s, 10,000 about 7 s, 100,000 (1.1 million rows, a vault of about 850 MB)
about 75-105 s depending on load, so the 60 s aim is not met at the largest size. Names, addresses and numbers are made up;
addresses use the fictional "DE99" postcode district and identifiers are marked DEMO.
"""

from __future__ import annotations

import datetime as _dt
import random
import unicodedata
from dataclasses import dataclass
from typing import Callable

from app.agreement import load_agreement
from app.exchange import (CONTACT_COLS, DISCLOSURE_COLS, DISPATCH_COLS, JSON_COLS, REQUEST_COLS,
                          RESPONSE_COLS, SUBJECT_COLS, SUSPENSION_COLS, insert_sql)
from app.records import dumps
from app.vault.migrations import FTS_TABLES, fts_trigger_statements
from app.requests import format_reference

MAX_SIZE = 100_000

GIVEN_FAMILY = {
    "english": (["Jack", "Olivia", "Liam", "Chloe", "Daniel", "Megan", "Ryan", "Jade", "Connor", "Leah"],
                ["Smith", "Jones", "Taylor", "Brown", "Walker", "Wright", "Hughes", "Clarke", "Hall", "Turner"]),
    "romanian": (["Ion", "Andrei", "Elena", "Ioana", "Ștefan", "Mihai", "Florin", "Alexandra", "Vasile", "Maria"],
                 ["Popescu", "Ionescu", "Dumitru", "Stan", "Țurcanu", "Constantinescu", "Rădulescu", "Munteanu",
                  "Lupu", "Căpraru"]),
    "albanian": (["Arbën", "Besnik", "Elira", "Dritan", "Klodian", "Ermal", "Valbona", "Gëzim", "Mirela", "Ilir"],
                 ["Krasniqi", "Hoxha", "Berisha", "Gashi", "Shehu", "Leka", "Çela", "Dervishi", "Rama", "Kola"]),
    "polish": (["Łukasz", "Agnieszka", "Katarzyna", "Paweł", "Wojciech", "Małgorzata", "Piotr", "Zofia",
                "Grzegorz", "Joanna"],
               ["Wójcik", "Kowalski", "Nowak", "Zieliński", "Wiśniewska", "Kamiński", "Lewandowska", "Dąbrowski",
                "Szymański", "Woźniak"]),
    "lithuanian": (["Vytautas", "Rūta", "Mindaugas", "Eglė", "Darius", "Jurgita"],
                   ["Kazlauskas", "Petrauskaitė", "Jankauskas", "Žukauskas", "Butkus", "Paulauskienė"]),
    "cyrillic": (["Олександр", "Наталія", "Дмитро", "Ірина", "Сергей", "Анна", "Богдан", "Ольга", "Миколай",
                  "Светлана"],
                 ["Шевченко", "Коваленко", "Бондаренко", "Иванов", "Петрова", "Ткаченко", "Кузнецов", "Мельник",
                  "Соколова", "Кравчук"]),
    "eritrean": (["Tesfay", "Senait", "Yonas", "Helen", "Dawit", "Selam"],
                 ["Gebremedhin", "Tesfamariam", "Haile", "Weldemichael", "Kidane", "Berhane"]),
}
VIETNAMESE = (["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"],  # family name first
              ["Văn", "Thị", "Đức", "Minh", "Thanh"],
              ["An", "Minh", "Hùng", "Lan", "Thu", "Tuấn", "Hương", "Dũng", "Linh", "Quang"])
CHINESE = (["Wang", "Li", "Zhang", "Liu", "Chen"], ["Wei", "Fang", "Jun", "Xiu", "Lei"])
_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D"})


def fold(name: str) -> str:
    """The name without diacritics: how it is often written on English-language records."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STREETS = ["Mill Lane", "Station Road", "Canal Street", "Chapel Street", "Victoria Road", "Park Terrace",
           "Albert Street", "Church Walk", "Osmaston Court", "Meadow Close", "Brook Row", "Foundry Yard"]
TOWNS = ["Derby", "Chesterfield", "Ilkeston", "Long Eaton", "Swadlincote", "Buxton", "Glossop", "Ripley",
         "Belper", "Matlock", "Alfreton", "Heanor"]
BUSINESSES = ["Sparkle Hand Car Wash", "Lucky Nails", "Golden Harvest Packing Ltd", "Quick Fix Tyres",
              "Sunrise Recruitment Ltd", "Royal Spice Takeaway", "Express Clean Services", "Midland Salad Growers",
              "Star Beauty Bar", "Peak Building Works", "Happy Garden Restaurant", "City Lodging Ltd"]
LOCATIONS = ["Caravan site off the A38", "Industrial unit, Foundry Yard", "Flat above the nail bar",
             "Lay-by on the A52 used for pick-ups", "House of multiple occupation, Victoria Road",
             "Farm cottages near the packing plant"]
INFORMATION = [
    "Neighbours report {n} men collected by minibus at 5am and returned after 9pm; they appear not to speak English.",
    "A worker at {b} told a customer she has not been paid for months and that her passport is held by the manager.",
    "Intelligence suggests {b} houses staff in overcrowded rooms and deducts rent from their wages.",
    "A referral from a GP describes a patient with untreated injuries, accompanied by a man who answered for her.",
    "Crimestoppers report: young people seen being dropped at an address and leaving with packages.",
    "Council officers found {n} mattresses in a two-bedroom flat during an inspection.",
    "A bank flagged {n} accounts opened on the same day at one address, with wages moved on immediately.",
]
CHECKS = [
    "Please check your records for the subjects and addresses below and tell us what you hold.",
    "Are any of the subjects known to you? Please confirm addresses, employers and any safeguarding concerns.",
    "Please confirm benefit claims, tenancies, licences or employment linked to these people or premises.",
]
HELD = ["Tenancy records for one subject at the address.", "Employment and payroll records.",
        "A safeguarding referral from last year.", "A licence application naming two subjects.",
        "Benefit claim history for one subject."]
DISCLOSED = ["Subject 1 is recorded as the tenant since {y}; {n} other adults listed.",
             "Subject 2 is employed by {b}; pay is below minimum wage for hours declared.",
             "A referral in {y} raised concerns about control by an associate.",
             "The premises licence holder is an associate named in the request."]
NECESSARY = "Needed to confirm who lives at the address and whether potential victims are at risk."
PROPORTIONATE = "Only the records that answer the check request are disclosed; no wider history."
ACCURATE = "Taken from our case system today and checked against the original record."
REQUESTERS = [("DS Kate Marsh", "Detective Sergeant", "2231"), ("DC Ravi Patel", "Detective Constable", "4410"),
              ("PC Tom Ellis", "Police Constable", "3187"), ("Sarah Quinn", "Intelligence Analyst", "S7720")]
TEAM = "Op Wilberforce – Modern Day Slavery and Human Trafficking Team"
CONTACT = "operationwilberforce@derbyshire.pnn.police.uk; 101"


@dataclass(frozen=True)
class DemoSummary:
    requests: int
    subjects: int
    dispatches: int
    responses: int
    disclosures: int
    contacts: int


def _person(rng: random.Random) -> tuple[str, list[str]]:
    origin = rng.choice(list(GIVEN_FAMILY) + ["vietnamese", "vietnamese", "chinese"])
    if origin == "vietnamese":
        family, middle, given = rng.choice(VIETNAMESE[0]), rng.choice(VIETNAMESE[1]), rng.choice(VIETNAMESE[2])
        name = f"{family} {middle} {given}"
        return name, [fold(name), given]
    if origin == "chinese":
        family, given = rng.choice(CHINESE[0]), rng.choice(CHINESE[1])
        return f"{family.upper()} {given}", [f"{given} {family}"]
    given, family = rng.choice(GIVEN_FAMILY[origin][0]), rng.choice(GIVEN_FAMILY[origin][1])
    name = f"{given} {family}"
    aliases = []
    if fold(name) != name and origin != "cyrillic":
        aliases.append(fold(name))
    if rng.random() < 0.3:
        aliases.append(rng.choice(["Johnny", "Mickey", "Sasha", "Tony", "Big", "Nico", "Lena"]) + " " + family[0])
    return name, aliases


def _address(rng: random.Random) -> str:
    r = rng.random
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return (f"{int(r() * 199) + 1} {STREETS[int(r() * len(STREETS))]}, {TOWNS[int(r() * len(TOWNS))]}, "
            f"DE99 {int(r() * 9) + 1}{letters[int(r() * 20)]}{letters[int(r() * 20)]}")


def _iso(day: _dt.date, rng: random.Random) -> str:
    """A UTC time on `day` between 07:00 and 18:59, in the vault's ISO form (fast: an f-string)."""
    seconds = int(rng.random() * 43200) + 25200
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000+00:00"


def _ri(rng: random.Random, low: int, high: int) -> int:
    """Like rng.randint, about three times faster (enough for made-up data)."""
    return low + int(rng.random() * (high - low + 1))


def _uid(rng: random.Random) -> str:
    """A random (version 4 form) UUID from the seeded generator, so demo data is repeatable."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


class _Json:
    """JSON text for the list columns, cached for the many repeated lists of codes."""

    def __init__(self):
        self.cache: dict = {}

    def params(self, row: dict, cols) -> tuple:
        out = []
        for col in cols:
            # Register rows the demo writes carry no consent items or grants (migration 12's lists).
            value = row.get(col, []) if col in ("items", "consent_grants") else row[col]
            if col in JSON_COLS:
                if isinstance(value, str):
                    pass
                elif all(isinstance(v, str) for v in value):
                    key = tuple(value)
                    text = self.cache.get(key)
                    if text is None:
                        text = self.cache[key] = dumps(list(value))
                    value = text
                else:
                    value = dumps(value)
            elif col == "active":
                value = 1 if value else 0
            out.append(value)
        return tuple(out)


def populate(vault, size: int = 200, *, seed: int | None = 1, user: str = "spoc",
             progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Fill `vault` (an empty desk of the lead partner) with `size` fictitious requests."""
    from app.errors import InvalidInput

    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput(f"--size must be between 1 and {MAX_SIZE}.")
    rng = random.Random(seed)
    agreement = load_agreement()
    here = vault.agency
    prefix = agreement.reference_prefix
    partners = [p for p in agreement.partners if p.code != here and p.section3]
    targets = []
    for p in partners:
        spoc_team = next((s.code for s in p.sub_services if s.spoc), "")
        targets.append((p.code, spoc_team, p.secure_channels[0] if p.secure_channels else ""))
    reasons = [r.id for r in agreement.request_reasons]
    exploitation = [e.id for e in agreement.exploitation_types]
    purposes = [p.id for p in agreement.purposes]
    info_types = [i.id for i in agreement.information_types]
    bases = [b.id for b in agreement.lawful_bases]
    confirmations = [c.id for c in agreement.declaration.confirmations]
    conditions = dumps([{"clause": c.clause, "text": c.text} for c in agreement.conditions_of_use])
    question = agreement.request_form.partnership_working_prompt
    today = _dt.datetime.now(_dt.timezone.utc).date()
    start = today - _dt.timedelta(days=3 * 365)
    days = sorted(start + _dt.timedelta(days=_ri(rng, 0, 3 * 365)) for _ in range(size))
    counters: dict[int, int] = {}
    requests, subjects, links, dispatches, responses, register = [], [], [], [], [], []
    recent_subjects: list[str] = []

    def new_subject(kind: str, day: _dt.date) -> str:
        sid = _uid(rng)
        at = _iso(day, rng)
        dob, aliases, addresses, identifiers, description = None, [], [], [], ""
        if kind == "person":
            name, aliases = _person(rng)
            if rng.random() < 0.8:
                dob = (today - _dt.timedelta(days=_ri(rng, 16 * 365, 60 * 365))).isoformat()
            addresses = [_address(rng)]
            if rng.random() < 0.4:
                identifiers = [{"type": rng.choice(["passport", "national identity card", "NI number"]),
                                "value": f"DEMO{_ri(rng, 100000, 999999)}"}]
        elif kind == "business":
            name = rng.choice(BUSINESSES)
            addresses = [_address(rng)]
            description = "Business named in the intelligence."
        else:
            name = rng.choice(LOCATIONS)
            addresses = [_address(rng)]
        subjects.append({"id": sid, "origin_agency": here, "kind": kind, "name": name, "aliases": aliases,
                         "date_of_birth": dob, "addresses": addresses, "identifiers": identifiers,
                         "description": description, "created_at": at, "created_by": user, "updated_at": at,
                         "updated_by": user, "retention_rule": "case-papers", "last_reviewed_at": None})
        return sid

    for index, day in enumerate(days):
        rid = _uid(rng)
        counters[day.year] = counters.get(day.year, 0) + 1
        reference = format_reference(prefix, day.year, counters[day.year])
        age = (today - day).days
        status = "draft" if age < 20 and rng.random() < 0.4 else ("closed" if age > 200 and rng.random() < 0.5
                                                                 else "open")
        created = _iso(day, rng)
        who = rng.choice(REQUESTERS)
        business = rng.choice(BUSINESSES)
        n = _ri(rng, 3, 12)
        declared = status != "draft" or rng.random() < 0.5
        requests.append({
            "id": rid, "origin_agency": here, "reference": reference, "status": status,
            "request_date": day.isoformat(), "requester_name": who[0], "requester_rank": who[1],
            "requester_number": who[2], "requester_team": TEAM, "requester_contact": CONTACT,
            "reasons": rng.sample(reasons, _ri(rng, 1, len(reasons))),
            "information_date": (day - _dt.timedelta(days=_ri(rng, 0, 10))).isoformat(),
            "information": rng.choice(INFORMATION).format(n=n, b=business),
            "check_request": rng.choice(CHECKS), "partnership_question": question,
            "exploitation_types": rng.sample(exploitation, _ri(rng, 1, 2)),
            "purposes": rng.sample(purposes, _ri(rng, 1, 3)), "info_types": rng.sample(info_types, _ri(rng, 1, 3)),
            "declaration": confirmations if declared else [], "declared_at": created if declared else None,
            "declared_by": user if declared else None, "created_at": created, "created_by": user,
            "updated_at": created, "updated_by": user, "retention_rule": "case-papers", "last_reviewed_at": None})
        people = rng.choice((1, 1, 2, 2, 3))
        chosen: list[tuple[str, str]] = []
        for k in range(people):
            if recent_subjects and rng.random() < 0.3:
                sid = rng.choice(recent_subjects)
            else:
                sid = new_subject("person", day)
                recent_subjects.append(sid)
            role = ("suspected-perpetrator" if k == 0 else rng.choice(
                ["potential-victim", "potential-victim", "associate", "unknown"]))
            if sid not in {c[0] for c in chosen}:
                chosen.append((sid, role))
        if rng.random() < 0.3:
            chosen.append((new_subject(rng.choice(["business", "location"]), day), "unknown"))
        if len(recent_subjects) > 500:
            recent_subjects = recent_subjects[-500:]
        links.extend((rid, sid, role, pos) for pos, (sid, role) in enumerate(chosen))
        subject_ids = [sid for sid, _ in chosen]
        if status == "draft":
            continue
        for code, sub, channel in rng.sample(targets, rng.choice((1, 2, 2, 3))):
            did = _uid(rng)
            sent_day = day + _dt.timedelta(days=_ri(rng, 0, 2))
            sent_at = _iso(sent_day, rng)
            due = (sent_day + _dt.timedelta(days=10)).isoformat()
            elapsed = (today - sent_day).days
            roll = rng.random()
            if elapsed > 25 and roll < 0.9 or elapsed > 5 and roll < 0.5:
                outcome = rng.choices(["responded", "nil-return", "declined"], [60, 35, 5])[0]
            else:
                outcome = rng.choice(["sent", "acknowledged"])
            reply_day = min(today, sent_day + _dt.timedelta(days=_ri(rng, 1, 14)))
            reply_at = _iso(reply_day, rng)
            closed = outcome in ("responded", "nil-return", "declined")
            decline = "Legal advice is being sought before any disclosure." if outcome == "declined" else None
            dispatches.append({
                "id": did, "request_id": rid, "agency": code, "sub_service": sub, "status": outcome,
                "sent_at": sent_at, "due_date": due,
                "acknowledged_at": _iso(sent_day, rng) if outcome != "sent" else None,
                "closed_at": reply_at if closed else None, "decline_reason": decline,
                "created_at": created, "created_by": user, "updated_at": reply_at if closed else sent_at,
                "updated_by": user})
            register.append({
                "id": _uid(rng), "kind": "request", "direction": "sent",
                "from_agency": here, "to_agency": code, "at": sent_at, "request_id": rid, "response_id": None,
                "subject_ids": subject_ids, "what": f"Personal data request {reference}", "lawful_bases": [],
                "channel": channel, "originator": here, "recorded_by": user, "recorded_at": sent_at})
            if not closed:
                continue
            kind = {"responded": "disclosure", "nil-return": "nil-return", "declined": "declined"}[outcome]
            pid = _uid(rng)
            chosen_bases = rng.sample(bases, _ri(rng, 1, 2)) if kind == "disclosure" else []
            responses.append({
                "id": pid, "dispatch_id": did, "origin_agency": code, "kind": kind, "status": "received",
                "responder_name": f"{code} SPOC", "responder_role": "Single Point of Contact",
                "responder_contact": f"spoc@{code.lower()}.example.gcsx.gov.uk",
                "response_date": reply_day.isoformat(),
                "held_text": rng.choice(HELD) if kind == "disclosure" else "",
                "disclosed_text": rng.choice(DISCLOSED).format(y=day.year - 1, n=n, b=business)
                if kind == "disclosure" else "",
                "info_types": rng.sample(info_types, _ri(rng, 1, 2)) if kind == "disclosure" else [],
                "lawful_bases": chosen_bases, "necessary": NECESSARY if kind == "disclosure" else "",
                "proportionate": PROPORTIONATE if kind == "disclosure" else "",
                "accurate": ACCURATE if kind == "disclosure" else "",
                "partnership_answer": rng.choice(["", "We can join a visit to the address.",
                                                  "Our safeguarding team can attend."]),
                "decline_reason": decline or "", "conditions_of_use": conditions,
                "sent_at": reply_at, "received_at": reply_at, "created_at": reply_at, "created_by": user,
                "updated_at": reply_at, "updated_by": user})
            register.append({
                "id": _uid(rng), "kind": "response",
                "direction": "received", "from_agency": code, "to_agency": here, "at": reply_at, "request_id": rid,
                "response_id": pid, "subject_ids": subject_ids if kind == "disclosure" else [],
                "what": f"{kind} response to {reference}", "lawful_bases": chosen_bases, "channel": channel,
                "originator": code, "recorded_by": user, "recorded_at": reply_at})
            if kind == "disclosure" and rng.random() < 0.05:
                onward = rng.choice([t for t in targets if t[0] != code])
                register.append({
                    "id": _uid(rng), "kind": "onward",
                    "direction": "sent", "from_agency": here, "to_agency": onward[0], "at": reply_at,
                    "request_id": rid, "response_id": pid, "subject_ids": subject_ids,
                    "what": f"Collated information from {code} for {reference} (consent given by {code})",
                    "lawful_bases": chosen_bases, "channel": onward[2], "originator": code, "recorded_by": user,
                    "recorded_at": reply_at})
        if progress and index % 2000 == 0:
            progress(index, size * 2)

    contacts = []
    now = _iso(today, rng)
    for code, sub, channel in targets:
        suffix = {"cjsm": "cjsm.net", "nhs-net": "nhs.net", "government-connect": "gcsx.gov.uk"}.get(channel, "cjsm.net")
        email = f"{code.lower()}.spoc@{'example.' if suffix != 'nhs.net' else ''}{suffix}"
        if channel == "cjsm":
            email = f"{code.lower()}.spoc@{code.lower()}.gsi.gov.uk"
        contacts.append({"id": _uid(rng), "partner": code,
                         "sub_service": sub, "team": "Single Point of Contact", "name": f"{code} duty SPOC",
                         "role": "SPOC", "email": email, "telephone": "01632 960" + f"{_ri(rng, 0, 999):03d}",
                         "channel": channel, "active": True, "created_at": now, "created_by": "admin",
                         "updated_at": now, "updated_by": "admin"})
    contacts[0] = dict(contacts[0], email="duty.officer@example.com")  # shows the suffix warning
    suspension = {"id": _uid(rng), "partner": targets[-1][0],
                  "from_at": _iso(today - _dt.timedelta(days=400), rng), "reason": "Demo: breach investigation (13.2)",
                  "suspended_by": "admin", "lifted_at": _iso(today - _dt.timedelta(days=390), rng),
                  "lifted_by": "admin", "lifted_reason": "Demo: investigation closed"}

    db = vault.db
    json = _Json()
    steps = [("subjects", SUBJECT_COLS, subjects), ("requests", REQUEST_COLS, requests),
             ("dispatches", DISPATCH_COLS, dispatches), ("responses", RESPONSE_COLS, responses),
             ("disclosures", DISCLOSURE_COLS, register), ("contacts", CONTACT_COLS, contacts),
             ("partner_suspensions", SUSPENSION_COLS, [suspension])]
    cache = db.scalar("PRAGMA cache_size")
    # A big cache while loading (fewer spills of dirty pages), and a rollback journal instead of
    # WAL: the load is one transaction into empty tables, so the WAL would only write every page
    # twice. Both are put back afterwards.
    db.execute("PRAGMA cache_size = -262144")
    db.query("PRAGMA journal_mode = DELETE")
    try:
        _load(vault, db, json, steps, links, counters, here, size, len(requests), progress)
    finally:
        db.query("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    _demo_breaches(vault, rng, requests[-1]["id"] if requests else None)
    _demo_meetings(vault, rng, [r["id"] for r in requests[-4:]])
    _demo_corrections(vault, rng)
    _demo_cases(vault, rng, [r["id"] for r in vault.db.query(
        "SELECT r.id FROM requests r WHERE r.status != 'draft' AND"
        " (SELECT count(*) FROM request_subjects q JOIN subjects s ON s.id = q.subject_id"
        "  WHERE q.request_id = r.id AND s.kind = 'person') >= 2 AND"
        " EXISTS (SELECT 1 FROM request_subjects q JOIN subjects s ON s.id = q.subject_id"
        "  WHERE q.request_id = r.id AND s.kind != 'person') ORDER BY r.seq DESC LIMIT 5")])
    _demo_governance(vault, today)
    _demo_complaints(vault, rng)
    _demo_chases(vault, rng)
    _demo_outages(vault, rng)
    if progress:
        progress(size * 2, size * 2)
    return DemoSummary(len(requests), len(subjects), len(dispatches), len(responses), len(register), len(contacts))


def _demo_governance(vault, today: _dt.date) -> None:
    """Issue 20: signatories (one partner's review overdue) and a dispute past its 13.3 clock."""
    from app.governance import add_months, dispute_due
    from app.records import new_id
    from app.timeutil import utc_now_iso

    agreement = load_agreement()
    months = agreement.deadlines.review_months
    now = utc_now_iso()
    partners = [p for p in agreement.partners if p.section3]
    with vault.db.transaction():
        for n, partner in enumerate(partners):
            signed = add_months(today, -months - 1) if n == 1 else add_months(today, -3 - n)
            vault.db.execute("INSERT OR IGNORE INTO signatories (partner, name, position, signed_on, recorded_at,"
                             " recorded_by) VALUES (?, ?, ?, ?, ?, 'admin')",
                             (partner.code, f"Demo signatory {n + 1}", "Director", signed.isoformat(), now))
        other = next(p.code for p in partners if p.code != vault.agency)
        raised = today - _dt.timedelta(days=agreement.deadlines.dispute_days + 4)
        vault.db.execute("INSERT INTO disputes (id, origin_agency, reference, partner, raised_by, about, raised_on,"
                         " due_on, created_at, created_by) VALUES (?, ?, ?, ?, 'partner', ?, ?, ?, ?, 'dpm')",
                         (new_id(), vault.agency, f"DSP-{raised.year}-0001", other,
                          "Demo: responses arriving after their due date", raised.isoformat(),
                          dispute_due(raised, agreement).isoformat(), now))
        vault.audit("demo.governance", record_type="agreement", reason=f"{len(partners)} signatories, 1 dispute")


def _demo_complaints(vault, rng: random.Random) -> None:
    """Clause 10.1 (issue 22): a data subject's complaint about this desk, answered "not upheld"
    with the reply sent, and a partner's complaint still open, its 24-hour DPM clock overdue."""
    from app.timeutil import LONDON

    now = _dt.datetime.now(_dt.timezone.utc)
    here = vault.agency
    partner = next(p.code for p in load_agreement().partners if p.code != here and p.section3)

    def at(hours_ago: float) -> str:
        return (now - _dt.timedelta(hours=hours_ago)).isoformat(timespec="microseconds")

    request = vault.db.one("SELECT id FROM requests WHERE origin_agency = ? AND status != 'draft' ORDER BY seq DESC"
                           " LIMIT 1", (here,))
    year = now.astimezone(LONDON).year
    plans = [  # (number, kind, complainant, agency, about, hours ago, how, requests, updates)
        (1, "data-subject", "Demo: Mr A. Complainant (by letter)", "",
         "Demo: believes his address was shared with his former employer without a reason.", 12 * 24, "letter",
         [request["id"]] if request else [],
         [("dpm-notified", 12 * 24 - 3, {"who": "Demo DPM"}),
          ("outcome", 5 * 24, {"outcome": "not-upheld", "reason": "Demo: the address went only to the partner"
                                                                   " named in the request, under its lawful basis;"
                                                                   " the register shows no other disclosure."}),
          ("replied", 4 * 24, {"how": "Letter", "summary": "Demo: outcome explained with the ICO's address."})]),
        (2, "partner", "Demo: information governance lead", partner,
         "Demo: our answer to a request was forwarded to a third partner without our consent.", 26, "email", [],
         []),
    ]
    with vault.db.transaction():
        for number, kind, who, agency, about, ago, how, requests, updates in plans:
            cid = _uid(rng)
            vault.db.execute(
                "INSERT INTO complaints (id, origin_agency, reference, complainant_kind, complainant,"
                " complainant_agency, agency, about, received_at, received_how, request_ids, subject_ids,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 'spoc')",
                (cid, here, f"CP-{year}-{number:04d}", kind, who, agency, here, about, at(ago), how, dumps(requests),
                 at(ago - 1)))
            vault.db.executemany(
                "INSERT INTO complaint_updates (id, complaint_id, kind, at, details, recorded_at, recorded_by)"
                " VALUES (?, ?, ?, ?, ?, ?, 'dpm')",
                [(_uid(rng), cid, update, at(h), dumps(details), at(h)) for update, h, details in updates])
        vault.audit("demo.complaints", record_type="complaint", reason=f"{len(plans)} complaints")


def _demo_chases(vault, rng: random.Random) -> None:
    """Clause 2.6 (issue 22): overdue answers chased by telephone (in the telephone log, like
    app.exchange.desks.log_call) and by e-mail with new promised dates, and one answer overdue
    again after its chase, so the lead officer's flag shows on the request and on Home."""
    now = _dt.datetime.now(_dt.timezone.utc)
    today = now.date()
    here = vault.agency

    def at(days_ago: float) -> str:
        return (now - _dt.timedelta(days=days_ago)).isoformat(timespec="microseconds")

    rows = vault.db.query(
        "SELECT d.id, d.request_id, d.agency, d.due_date, r.reference FROM dispatches d"
        " JOIN requests r ON r.id = d.request_id WHERE r.origin_agency = ? AND d.status IN ('sent','acknowledged')"
        " AND d.due_date < ? AND d.sent_at < ? ORDER BY d.due_date DESC, d.seq LIMIT 3",
        (here, today.isoformat(), at(20)))
    plans = [  # (how, to whom, days ago, promised in days, note)
        ("telephone", "Demo: the partner's SPOC team duty officer", 3, 5, "Demo: records search under way."),
        ("email", "Demo: the partner's SPOC mailbox", 2, 7, "Demo: waiting on a records team."),
        ("email", "Demo: the partner's SPOC mailbox", 12, -4, "Demo: promised within the week; nothing since."),
    ]
    with vault.db.transaction():
        for row, (how, to_whom, ago, promised_in, note) in zip(rows, plans):
            promised = (today + _dt.timedelta(days=promised_in)).isoformat()
            call_id = None
            if how == "telephone":
                call_id, did = _uid(rng), _uid(rng)
                what = (f"Chased the answer to {row['reference']}; new date promised "
                        f"{_dt.date.fromisoformat(promised).strftime('%d/%m/%Y')}")
                vault.db.execute(
                    "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, request_id, response_id,"
                    " subject_ids, what, lawful_bases, channel, originator, recorded_by, recorded_at)"
                    " VALUES (?, 'onward', 'sent', ?, ?, ?, ?, NULL, '[]', ?, '[]', 'telephone', ?, 'spoc', ?)",
                    (did, here, row["agency"], at(ago), row["request_id"], "Telephone: " + what, here, at(ago)))
                vault.db.execute(
                    "INSERT INTO telephone_calls (id, at, direction, caller, caller_agency, callee, callee_agency,"
                    " via_number, identity_check, what, request_id, disclosure_id, recorded_by, recorded_at)"
                    " VALUES (?, ?, 'given', 'spoc', ?, ?, ?, ?, ?, ?, ?, ?, 'spoc', ?)",
                    (call_id, at(ago), here, to_whom, row["agency"], "Demo: 01632 960 000 (the partner's switchboard)",
                     "Demo: called back through the switchboard number in the agreement's contacts.", what,
                     row["request_id"], did, at(ago)))
            vault.db.execute(
                "INSERT INTO dispatch_chases (id, dispatch_id, at, how, to_whom, previous_due, promised_date, note,"
                " package_id, call_id, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 'spoc')",
                (_uid(rng), row["id"], at(ago), how, to_whom, row["due_date"], promised, note, call_id, at(ago)))
            vault.db.execute("UPDATE dispatches SET due_date = ?, updated_at = ?, updated_by = 'spoc' WHERE id = ?",
                             (promised, at(ago), row["id"]))
        vault.audit("demo.chases", record_type="dispatch", reason=f"{min(len(rows), len(plans))} chases")


def _demo_outages(vault, rng: random.Random) -> None:
    """Clause 10.2 (issue 22): one partner's channel down now, the alternative chosen (Send uses
    it for that partner) and every partner's signatory informed; an earlier one repaired."""
    from app import outages

    agreement = load_agreement()
    now = _dt.datetime.now(_dt.timezone.utc)
    here = vault.agency
    others = [p.code for p in agreement.partners if p.code != here and p.section3]
    if len(others) < 2:
        return

    def at(hours_ago: float) -> str:
        return (now - _dt.timedelta(hours=hours_ago)).isoformat(timespec="microseconds")

    names = {r["partner"]: f"{r['name']}, {r['position']}" for r in vault.db.query(
        "SELECT partner, name, position FROM signatories")}
    plans = [  # (partner, down hours ago, what, fallback note, repaired hours ago, repair note)
        (others[-1], 20, "Demo: the partner's secure e-mail gateway is rejecting every message.",
         "Demo: answers by telephone to the SPOC named in the contacts until the gateway is back.", None, None),
        (others[0], 40 * 24, "Demo: the partner's secure file transfer site was offline for maintenance.",
         "Demo: the secure e-mail gateway instead.", 38 * 24,
         "Demo: site back; a test package was received and acknowledged."),
    ]
    with vault.db.transaction():
        for partner, down, what, note, repaired, repair_note in plans:
            channels = outages.channels(partner)
            fallback = next((c for c in channels[1:]), outages.TELEPHONE) if repaired else outages.TELEPHONE
            oid = _uid(rng)
            vault.db.execute(
                "INSERT INTO channel_outages (id, partner, channel, down_at, what, fallback, fallback_note, breach_id,"
                " recorded_at, recorded_by, repaired_at, repair_note, repaired_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 'spoc', ?, ?, ?)",
                (oid, partner, channels[0], at(down), what, fallback, note, at(down - 0.5),
                 at(repaired) if repaired else None, repair_note, "spoc" if repaired else None))
            vault.db.executemany(
                "INSERT INTO outage_notices (id, outage_id, partner, signatory, how, at, recorded_at, recorded_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'spoc')",
                [(_uid(rng), oid, p.code, names.get(p.code, "Demo signatory, Director"),
                  "Demo: e-mail to the signatory, copied to their SPOC", at(down - 1 - n / 10), at(down - 1 - n / 10))
                 for n, p in enumerate(agreement.partners)])
        vault.audit("demo.outages", record_type="outage", reason=f"{len(plans)} equipment malfunctions")


def _load(vault, db, json, steps, links, counters, here, size, n_requests, progress) -> None:
    with db.transaction():
        # Bulk load: the full-text triggers are dropped and the index rebuilt once at the end,
        # all inside this one transaction (a failure rolls the triggers back too).
        for table in FTS_TABLES:
            for action in ("ai", "ad", "au"):
                db.execute(f"DROP TRIGGER {table}_fts_{action}")  # our constant names
        for number, (table, cols, rows) in enumerate(steps):
            db.executemany(insert_sql(table, cols), (json.params(r, cols) for r in rows))
            if table == "requests":
                db.executemany("INSERT INTO request_subjects (request_id, subject_id, role, position)"
                               " VALUES (?, ?, ?, ?)", links)
            if progress:
                progress(size + (number + 1) * size // (len(steps) + 1), size * 2)
        for table in FTS_TABLES:
            db.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
            for statement in fts_trigger_statements(table):
                db.execute(statement)
        db.executemany("INSERT INTO reference_counters (agency, year, last) VALUES (?, ?, ?)"
                       " ON CONFLICT(agency, year) DO UPDATE SET last = max(last, excluded.last)",
                       [(here, year, last) for year, last in counters.items()])
        vault.audit("demo.created", record_type="vault", record_id=vault.vault_id,
                    reason=f"{n_requests} fictitious requests")


def _demo_breaches(vault, rng: random.Random, request_id: str | None) -> None:
    """Three fictitious breaches for the DPM desk: closed (ICO not told, with the reason), open
    within its clocks, and open with the DPM notification overdue."""
    from app.exchange import BREACH_COLS, BREACH_UPDATE_COLS, to_params

    now = _dt.datetime.now(_dt.timezone.utc)
    year = now.year

    def at(hours_ago: float) -> str:
        return (now - _dt.timedelta(hours=hours_ago)).isoformat(timespec="microseconds")

    def breach(number, category, hours_ago, facts, containment, updates, links=()):
        bid = _uid(rng)
        row = {"id": bid, "origin_agency": vault.agency, "reference": f"BR-{year}-{number:04d}",
               "reporter": "Demo SPOC", "agency": vault.agency, "category": category, "occurred_at": None,
               "aware_at": at(hours_ago), "facts": facts, "request_ids": list(links), "subject_ids": [],
               "disclosure_ids": [], "data_categories": "Names and addresses", "people_count": _ri(rng, 1, 9),
               "records_count": _ri(rng, 1, 4), "consequences": "", "containment": containment, "remedial": "",
               "created_at": at(hours_ago - 0.5), "created_by": "spoc"}
        rows = [{"id": _uid(rng), "breach_id": bid, "kind": kind, "at": at(h), "details": details,
                 "recorded_at": at(h), "recorded_by": "dpm"} for kind, h, details in updates]
        return row, rows

    items = [
        breach(1, "device-loss", 240, "Demo: an encrypted laptop was left on a train.", "Remote wipe confirmed.",
               [("dpm-notified", 238, {"who": "Demo DPM"}),
                ("risk-assessed", 230, {"risk": "unlikely", "reasons": "Full-disk encryption; wiped."}),
                ("ico-decision", 229, {"notify": False, "reason": "Unlikely to result in a risk to people."}),
                ("review", 100, {"outcome": "Reminder issued to all staff.", "lessons": "Carry laptops in a bag."}),
                ("closed", 99, {"reason": "Reviewed."})], [request_id] if request_id else []),
        breach(2, "unauthorised-disclosure", 3, "Demo: a response was e-mailed to the wrong partner mailbox.",
               "Recipient asked to delete it; confirmed.", []),
        breach(3, "equipment-malfunction", 30, "Demo: the secure e-mail gateway failed for a day.",
               "Sending paused.", []),
    ]
    with vault.db.transaction():
        for row, updates in items:
            vault.db.execute(insert_sql("breaches", BREACH_COLS), to_params(row, BREACH_COLS))
            vault.db.executemany(insert_sql("breach_updates", BREACH_UPDATE_COLS),
                                 [to_params(u, BREACH_UPDATE_COLS) for u in updates])


def _demo_corrections(vault, rng: random.Random) -> None:
    """Clause 7.2 for the corrections area: a partner's notice that one of this desk's dates of
    birth is wrong, still to correct, and a correction of another, sent to every recipient the
    register names, one of whom has returned its receipt."""
    from app import corrections as cr

    people = vault.db.query("SELECT id, date_of_birth FROM subjects WHERE origin_agency = ? AND kind = 'person'"
                            " AND date_of_birth IS NOT NULL ORDER BY seq DESC LIMIT 2", (vault.agency,))
    if len(people) < 2:
        return
    now = _dt.datetime.now(_dt.timezone.utc)

    def at(days_ago: float) -> str:
        return (now - _dt.timedelta(days=days_ago)).isoformat(timespec="microseconds")

    year = now.year
    flagged, corrected = people
    item = cr.get_item(vault, "subject", corrected["id"])
    recipients = cr.recipients_for(vault, item)
    new_dob = (_dt.date.fromisoformat(corrected["date_of_birth"]) + _dt.timedelta(days=31)).isoformat()
    cid = _uid(rng)
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO correction_notices (id, reference, raised_by_agency, controller, item_type, item_id, field,"
            " problem, details, suggested, raised_at, raised_by, status, received_at) VALUES (?, ?, 'HMRC', ?,"
            " 'subject', ?, 'date_of_birth', 'inaccurate', ?, '', ?, 'HMRC desk', 'open', ?)",
            (_uid(rng), f"CN-HMRC-{year}-0001", vault.agency, flagged["id"],
             "Demo: our employment records give a different date of birth.", at(9), at(8)))
        vault.db.execute("UPDATE subjects SET date_of_birth = ? WHERE id = ?", (new_dob, corrected["id"]))
        vault.db.execute(
            "INSERT INTO corrections (id, reference, controller, direction, item_type, item_id, field, old_value,"
            " new_value, reason, corrected_at, recorded_at, recorded_by) VALUES (?, ?, ?, 'made', 'subject', ?,"
            " 'date_of_birth', ?, ?, 'Demo: passport seen at the visit.', ?, ?, 'dpm')",
            (cid, f"COR-{vault.agency}-{year}-0001", vault.agency, corrected["id"],
             f'"{corrected["date_of_birth"]}"', f'"{new_dob}"', at(4), at(4)))
        for n, agency in enumerate(recipients):
            delivered = n == 0
            vault.db.execute(
                "INSERT INTO correction_recipients (id, correction_id, agency, state, package_id, made_at,"
                " delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_uid(rng), cid, agency, "delivered" if delivered else "package-made", _uid(rng), at(4),
                 at(3) if delivered else None))


def _demo_meetings(vault, rng: random.Random, request_ids: list[str]) -> None:
    """Three fictitious tactical meetings (2.7, App. 1, App. 2a): one closed a month ago, one held
    this week with open 4P actions and a granted and a refused further disclosure, one planned."""
    now = _dt.datetime.now(_dt.timezone.utc)
    here = vault.agency
    stamp = now.isoformat(timespec="microseconds")

    def at(days: float, hour: int = 10) -> str:
        moment = (now + _dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
        return moment.isoformat(timespec="microseconds")

    def day(days: int) -> str:
        return (now + _dt.timedelta(days=days)).date().isoformat()

    people = [("Det Insp Demo Carter", "Chair, Op Wilberforce", here), ("Demo Social Worker", "Adult safeguarding", "DCC"),
              ("Demo Compliance Officer", "Labour inspector", "GLAA"), ("Demo Fraud Investigator", "Fraud and Error", "DWP"),
              ("Demo Nurse Practitioner", "Safeguarding lead", "DHCFT"), ("Demo Immigration Officer", "Intelligence", "HOIE")]
    plans = [(-30, "closed", people[:4]), (-3, "held", people[:6]), (14, "planned", people[:3])]
    db = vault.db
    with db.transaction():
        for number, (offset, status, who) in enumerate(plans, start=1):
            mid = _uid(rng)
            held = at(offset)
            reference = f"TM-{(now + _dt.timedelta(days=offset)).year}-{number:04d}"
            db.execute("INSERT INTO meetings (id, origin_agency, reference, held_at, place, chair, chair_agency, status,"
                       " notes, created_at, created_by, updated_at, updated_by)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'spoc', ?, 'spoc')",
                       (mid, here, reference, held, "Demo Police HQ, conference room 2", people[0][0], here, status,
                        "Demo: fictitious meeting.", stamp, stamp))
            for name, role, agency in who:
                accepted = held if status != "planned" else None
                db.execute("INSERT INTO meeting_attendees (id, meeting_id, name, role_title, agency, accepted_at,"
                           " accepted_recorded_by, accepted_recorded_at, created_at, created_by)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'spoc')",
                           (_uid(rng), mid, name, role, agency, accepted, "chair" if accepted else None,
                            accepted, stamp))
            items = []
            links = request_ids[(number - 1):(number + 1)] if request_ids else []
            for position, rid in enumerate(links, start=1):
                iid = _uid(rng)
                items.append(iid)
                db.execute("INSERT INTO meeting_agenda_items (id, meeting_id, position, kind, request_id, title, notes,"
                           " created_at, created_by) VALUES (?, ?, ?, 'request', ?, '', '', ?, 'spoc')",
                           (iid, mid, position, rid, stamp))
            iid = _uid(rng)
            items.append(iid)
            db.execute("INSERT INTO meeting_agenda_items (id, meeting_id, position, kind, request_id, title, notes,"
                       " created_at, created_by) VALUES (?, ?, ?, 'case', NULL, ?, ?, ?, 'spoc')",
                       (iid, mid, len(items), rng.choice(["Demo: car wash workers living on site",
                                                          "Demo: nail bar staff collected by minibus"]),
                        "Demo: referral from a partner without a request yet.", stamp))
            if status == "planned":
                continue
            db.execute("INSERT INTO meeting_decisions (id, meeting_id, agenda_item_id, text, recorded_at, recorded_by)"
                       " VALUES (?, ?, ?, ?, ?, 'chair')",
                       (_uid(rng), mid, items[-1], "Demo: joint welfare visit with the council and the GLAA.", held))
            for category, text, owner, due, state in (
                    ("pursue", "Demo: research the business's directors and vehicles.", here, day(offset + 14),
                     "open" if number == 2 else "done"),
                    ("protect", "Demo: safeguarding visit and NRM referral offered.", "DCC", day(offset + 7), "open"),
                    ("prevent", "Demo: advice visit to the employer on right to work.", "GLAA", day(offset + 21),
                     "open" if number == 2 else "cancelled"),
                    ("prepare", "Demo: brief partner front-line staff on the indicators.", "DHCFT", day(offset + 28),
                     "open")):
                aid = _uid(rng)
                db.execute("INSERT INTO meeting_actions (id, meeting_id, agenda_item_id, category, text, owner_agency,"
                           " due_date, status, created_at, created_by, updated_at, updated_by)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'chair', ?, 'chair')",
                           (aid, mid, items[-1], category, text, owner, due, state, held, held))
                db.execute("INSERT INTO meeting_action_updates (id, action_id, status, note, at, recorded_by)"
                           " VALUES (?, ?, 'open', 'Action agreed', ?, 'chair')", (_uid(rng), aid, held))
                if state != "open":
                    db.execute("INSERT INTO meeting_action_updates (id, action_id, status, note, at, recorded_by)"
                               " VALUES (?, ?, ?, ?, ?, 'chair')",
                               (_uid(rng), aid, state, "Demo: " + ("completed." if state == "done" else "overtaken."),
                                at(offset + 5)))
            if number == 2:
                did = _uid(rng)
                db.execute("INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, request_id,"
                           " response_id, subject_ids, what, lawful_bases, channel, originator, recorded_by,"
                           " recorded_at) VALUES (?, 'meeting', 'sent', 'DCC', 'DHCFT', ?, ?, NULL, '[]', ?, '[]', '',"
                           " ?, 'chair', ?)",
                           (did, held, links[0] if links else None,
                            f"{reference}: Demo: the address of a potential victim, for GP registration.", here, held))
                for granted, to, what, reason, disclosure in (
                        (1, "DHCFT", "Demo: the address of a potential victim, for GP registration.",
                         "Demo: access to health care for a vulnerable adult.", did),
                        (0, "DFRS", "Demo: the names of the people living on site.",
                         "Demo: a fire safety visit needs the address only, not the names.", None)):
                    db.execute("INSERT INTO meeting_permissions (id, meeting_id, agenda_item_id, requested_by,"
                               " requested_by_agency, to_agency, what, reason, granted, decided_by, decided_at,"
                               " disclosure_id, recorded_at, recorded_by)"
                               " VALUES (?, ?, ?, ?, 'DCC', ?, ?, ?, ?, ?, ?, ?, ?, 'chair')",
                               (_uid(rng), mid, items[0], people[1][0], to, what, reason, granted, people[0][0],
                                held, disclosure, held))


def _demo_cases(vault, rng: random.Random, request_ids: list[str]) -> None:
    """Three fictitious cases (Appendix 2a, issue 21): one at the tactical meeting with two linked
    requests, an NRM referral with its positive reasonable grounds decision and links learnt from
    a partner's response; one in 4P actions with a duty to notify awaiting its outcome and a
    revisited stage; one just in. The meetings' case agenda items become links to the first two
    cases, and the subjects of the linked requests are linked to each other (4.3(4))."""
    now = _dt.datetime.now(_dt.timezone.utc)
    here = vault.agency
    db = vault.db

    def at(days: float) -> str:
        return (now + _dt.timedelta(days=days)).isoformat(timespec="microseconds")

    def day(days: int) -> str:
        return (now + _dt.timedelta(days=days)).date().isoformat()

    plans = [  # (title, source, detail, types, lead, stage path with why, requests, days ago)
        ("Demo: car wash workers living on site", "public-community", "Crimestoppers report",
         ["forced-labour"], here, [("information", "Case opened"), ("assessment", "Demo: report triaged"),
                                   ("investigation", "Demo: investigation required"),
                                   ("tactical-meeting", "Demo: partners who can assist to convene")],
         request_ids[:2], 40),
        ("Demo: nail bar staff collected by minibus", "agency-duties", "Labour inspection visit",
         ["forced-labour", "criminality"], "GLAA",
         [("information", "Case opened"), ("assessment", "Demo: intelligence assessed"),
          ("tactical-meeting", "Demo: multi-agency meeting"), ("assessment", "Demo: new intelligence to assess"),
          ("tactical-meeting", "Demo: meeting reconvened"), ("four-p-actions", "Demo: actions agreed")],
         request_ids[2:4], 25),
        ("Demo: potential victim asked for help", "self-identified", "Walked into a front counter",
         ["domestic-servitude"], here, [("information", "Case opened")], request_ids[4:5], 2),
    ]
    case_ids: list[str] = []
    year = now.year
    from app.records import next_yearly_reference

    start = int(next_yearly_reference(vault, "cases", "CASE", year).rsplit("-", 1)[1]) - 1
    with db.transaction():
        for number, (title, source, detail, types, lead, path, linked, ago) in enumerate(plans, start=start + 1):
            cid = _uid(rng)
            case_ids.append(cid)
            opened = at(-ago)
            db.execute("INSERT INTO cases (id, origin_agency, reference, title, source, source_detail, received_on,"
                       " exploitation_types, lead_agency, stage, internal_notes, created_at, created_by, updated_at,"
                       " updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'spoc', ?, 'spoc')",
                       (cid, here, f"CASE-{year}-{number:04d}", title, source, detail, day(-ago), dumps(types), lead,
                        path[-1][0], "Demo: internal note, never printed or sent.", opened, at(-1)))
            previous = None
            for step, (stage, why) in enumerate(path):
                db.execute("INSERT INTO case_stage_changes (id, case_id, from_stage, to_stage, reason, at,"
                           " recorded_by) VALUES (?, ?, ?, ?, ?, ?, 'spoc')",
                           (_uid(rng), cid, previous, stage, why, at(-ago + step * 3)))
                previous = stage
            for rid in linked:
                db.execute("INSERT INTO case_requests (case_id, request_id, linked_at, linked_by)"
                           " VALUES (?, ?, ?, 'spoc')", (cid, rid, at(-ago + 1)))
            people = [r["id"] for r in db.query(
                "SELECT s.id FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id"
                " WHERE rs.request_id IN (SELECT request_id FROM case_requests WHERE case_id = ?) AND s.kind = 'person'"
                " ORDER BY s.seq", (cid,))]
            if number == start + 1 and people:
                db.execute("INSERT INTO case_referrals (id, case_id, kind, subject_id, referred_on, referred_by,"
                           " first_responder, consent, rg_decision, rg_on, created_at, created_by, updated_at,"
                           " updated_by) VALUES (?, ?, 'nrm', ?, ?, ?, ?, 'given', 'positive', ?, ?, 'spoc', ?,"
                           " 'spoc')", (_uid(rng), cid, people[0], day(-ago + 5), here,
                                        "Demo: Derbyshire Constabulary", day(-ago + 9), opened, opened))
            if number == start + 2 and people:
                db.execute("INSERT INTO case_referrals (id, case_id, kind, subject_id, referred_on, referred_by,"
                           " consent, created_at, created_by, updated_at, updated_by)"
                           " VALUES (?, ?, 'duty-to-notify', ?, ?, ?, 'not-given', ?, 'spoc', ?, 'spoc')",
                           (_uid(rng), cid, people[-1], day(-ago + 6), here, opened, opened))
                db.execute("INSERT INTO case_referrals (id, case_id, kind, referred_on, referred_by, outcome,"
                           " outcome_on, created_at, created_by, updated_at, updated_by)"
                           " VALUES (?, ?, 'gain', ?, 'GLAA', 'Demo: intelligence shared with GAIN', ?, ?, 'spoc',"
                           " ?, 'spoc')", (_uid(rng), cid, day(-ago + 7), day(-ago + 8), opened, opened))
            _demo_links(vault, rng, cid, linked, opened)
        # The demo meetings' case items (made before cases existed) each name a case now.
        items = db.query("SELECT i.id FROM meeting_agenda_items i JOIN meetings m ON m.id = i.meeting_id"
                         " WHERE i.kind = 'case' AND i.case_id IS NULL AND m.origin_agency = ? ORDER BY m.seq", (here,))
        for n, item in enumerate(items):
            db.execute("UPDATE meeting_agenda_items SET case_id = ?, title = (SELECT title FROM cases WHERE id = ?)"
                       " WHERE id = ?", (case_ids[n % 2], case_ids[n % 2], item["id"]))


def _demo_links(vault, rng: random.Random, case_id: str, request_ids: list[str], at: str) -> None:
    """Links between the subjects of a demo case's requests: where people live and work, who runs
    the business, who associates with whom, a vehicle; learnt from a partner's response where one
    arrived (that partner is then the originator, section 6), else from the request."""
    from app.links import vehicle_key  # noqa: F401 - the map keys a vehicle by its registration

    db = vault.db
    here = vault.agency
    for rid in request_ids:
        subjects = db.query("SELECT s.id, s.kind FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id"
                            " WHERE rs.request_id = ? ORDER BY rs.position", (rid,))
        people = [r["id"] for r in subjects if r["kind"] == "person"]
        places = [r["id"] for r in subjects if r["kind"] == "location"]
        firms = [r["id"] for r in subjects if r["kind"] == "business"]
        answer = db.one("SELECT p.id, p.origin_agency FROM responses p JOIN dispatches d ON d.id = p.dispatch_id"
                        " WHERE d.request_id = ? AND p.kind = 'disclosure' AND p.status != 'draft' ORDER BY p.seq"
                        " LIMIT 1", (rid,))
        source_kind, source_id, originator = ("response", answer["id"], answer["origin_agency"]) if answer \
            else ("request", rid, here)
        planned: list[tuple[str, str, str | None, str]] = []
        for person in people:
            if places:
                planned.append(("lives-at", person, places[0], "confirmed"))
            if firms:
                planned.append(("works-at", person, firms[0], "probable"))
        if len(people) > 1:
            planned.append(("associate-of", people[0], people[1], "possible"))
            planned.append(("runs", people[0], firms[0], "probable") if firms else
                           ("family-of", people[-1], people[0], "possible"))
        if firms and places:
            planned.append(("registered-at", firms[0], places[-1], "confirmed"))
        for kind, frm, to, confidence in planned:
            if frm == to:
                continue
            db.execute("INSERT INTO subject_links (id, origin_agency, from_subject, to_subject, vehicle, kind,"
                       " valid_from, confidence, source_kind, source_id, originator, case_id, notes, created_at,"
                       " created_by) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, 'Demo link.', ?, 'spoc')",
                       (_uid(rng), here, frm, to, kind, at[:10], confidence, source_kind, source_id, originator,
                        case_id, at))
        if people:
            db.execute("INSERT INTO subject_links (id, origin_agency, from_subject, to_subject, vehicle, kind,"
                       " confidence, source_kind, source_id, originator, case_id, notes, created_at, created_by)"
                       " VALUES (?, ?, ?, NULL, ?, 'uses-vehicle', 'possible', 'case', ?, ?, ?, 'Demo: seen driving"
                       " the minibus.', ?, 'spoc')",
                       (_uid(rng), here, people[0], f"DE{_ri(rng, 10, 72)} {rng.choice(['MXB', 'KTV', 'RPL'])}",
                        case_id, here, case_id, at))
