"""The agreement as data: the shipped file says what agreement.txt says, and a broken file is
refused with a message naming the field."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest

from app.agreement import (
    Agreement,
    AgreementError,
    Partner,
    SubService,
    default_agreement_path,
    load_agreement,
)

AGREEMENT_TXT = Path(__file__).resolve().parents[2] / "shared" / "agreement" / "agreement.txt"
BULLET = "·"


def norm(text: str) -> str:
    """Collapse whitespace (line wrapping, tabs, no-break spaces) the way the data file does."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement()


@pytest.fixture(scope="module")
def source_lines() -> list[str]:
    if not AGREEMENT_TXT.is_file():
        pytest.skip(f"agreement text not found at {AGREEMENT_TXT}")
    return [norm(line) for line in AGREEMENT_TXT.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def source_text(source_lines: list[str]) -> str:
    return norm(" ".join(source_lines))


def lines_between(lines: list[str], start: str, stop: str, after: int = 0) -> list[str]:
    """Non-empty lines strictly between the first line equal to `start` and the next `stop`."""
    first = lines.index(start, after)
    last = lines.index(stop, first + 1)
    return [line for line in lines[first + 1 : last] if line]


def bullets(lines: list[str]) -> list[str]:
    return [norm(line.removeprefix(BULLET)) for line in lines if line.startswith(BULLET)]


def text_between(lines: list[str], start: str, stop: str) -> str:
    return norm(" ".join(lines_between(lines, start, stop)))


# --- the shipped file ---------------------------------------------------------------------------


def test_shipped_file_loads_and_default_is_cached(agreement: Agreement) -> None:
    assert default_agreement_path().name == "derby-derbyshire.json"
    assert default_agreement_path().is_file()
    assert load_agreement() is agreement
    fresh = load_agreement(default_agreement_path())
    assert fresh is not agreement and fresh == agreement
    assert agreement.reference_prefix == "MSR"
    assert agreement.info.review_period_months == 24


def test_partner_codes_lead_and_section3(agreement: Agreement) -> None:
    assert agreement.partner_codes() == (
        "DWP", "DCC", "DCON", "DCYC", "DFRS", "DHCFT", "DPT", "GLAA", "HMRC", "HOIE", "NCA", "GAIN",
    )
    assert [p.code for p in agreement.partners if p.lead] == ["DCON"]
    assert agreement.lead_partner.code == "DCON"
    assert [p.code for p in agreement.partners if not p.section3] == ["GAIN"]
    assert agreement.partner("DCON").sub_service("WILBERFORCE").name == "Operation Wilberforce"
    assert agreement.partner("DWP").sub_service("FES").name == "Fraud and Error Service"
    with pytest.raises(KeyError, match="no partner 'XYZ'"):
        agreement.partner("XYZ")


def test_every_partner_has_a_blank_contact_and_known_channels(agreement: Agreement) -> None:
    channel_ids = {c.id for c in agreement.secure_channels}
    for partner in agreement.partners:
        assert partner.contacts, partner.code
        assert all(c.name == c.email == c.telephone == "" for c in partner.contacts)
        assert partner.secure_channels and set(partner.secure_channels) <= channel_ids


def _partner_for_heading(partners: tuple[Partner, ...], name: str) -> Partner | None:
    """Section 3 names "Home Office" and "Immigration Enforcement" for one partner (HOIE)."""
    for partner in partners:
        if name == partner.name or name in partner.name.split(" – "):
            return partner
    return None


def test_every_section3_name_is_a_partner_or_sub_service(
    agreement: Agreement, source_lines: list[str]
) -> None:
    names = bullets(lines_between(source_lines, "Partners", "3.1"))
    assert len(names) > 20  # the parse found the list
    found: set[tuple[str, str | None]] = set()
    current: Partner | None = None
    for name in names:
        # "Community Safety – Single Point of Contact - specifically, but not limited to:"
        name = re.sub(r"\s*[-–]\s*Single Point of Contact.*$", "", name)
        partner = _partner_for_heading(agreement.partners, name)
        if partner is not None:
            current = partner
            found.add((partner.code, None))
            continue
        assert current is not None, f"section 3 starts with a sub-service {name!r}"
        sub_names = {s.name: s for s in current.sub_services}
        assert name in sub_names, f"section 3 lists {name!r} under {current.code}"
        found.add((current.code, sub_names[name].code))

    expected = {(p.code, None) for p in agreement.partners if p.section3}
    expected |= {
        (p.code, s.code) for p in agreement.partners for s in p.sub_services if s.clause == "3"
    }
    assert found == expected


def test_lawful_bases_are_those_of_5_4_1_with_appendix3_text(
    agreement: Agreement, source_lines: list[str]
) -> None:
    listed = bullets(lines_between(source_lines, "5.4.1", "5.4.2"))
    assert [b.title for b in agreement.lawful_bases] == listed
    assert [b.id for b in agreement.lawful_bases] == [
        "cda1998-s115", "dpa1998-s29-3", "dpa1998-s35", "children-acts-1989-2004", "msa2015-s54a",
    ]
    appendix3 = text_between(
        source_lines,
        "Appendix 3 - Fair and Lawful Processing",
        "Appendix 4 – Secure Data Sharing",
    )
    for basis in agreement.lawful_bases:
        # Whole text, contiguous, right after its own heading: nothing dropped or reordered.
        assert norm(f"{basis.title} {basis.appendix3_text}") in appendix3, basis.id
        assert "\n" in basis.appendix3_text  # paragraphs kept apart for display
        assert basis.current and basis.note


def test_dpa_1998_provisions_point_to_their_dpa_2018_successors(agreement: Agreement) -> None:
    s29 = agreement.lawful_basis("dpa1998-s29-3")
    s35 = agreement.lawful_basis("dpa1998-s35")
    assert s29.current == "Data Protection Act 2018, Schedule 2, Part 1, paragraph 2"
    assert s35.current == "Data Protection Act 2018, Schedule 2, Part 1, paragraph 5"
    assert not s29.in_force and not s35.in_force
    for still_in_force in ("cda1998-s115", "children-acts-1989-2004", "msa2015-s54a"):
        basis = agreement.lawful_basis(still_in_force)
        assert basis.in_force and "still in force" in basis.current.lower()


def test_conditions_of_use_are_section_6_verbatim(
    agreement: Agreement, source_lines: list[str]
) -> None:
    # Section 6 ends where the heading number "7" of Data Quality begins.
    lines = lines_between(source_lines, "Conditions of Use of the information", "7")
    section6: dict[str, str] = {}
    clause = ""
    for line in lines:
        if re.fullmatch(r"6\.\d", line):
            clause = line
        else:
            section6[clause] = norm(f"{section6.get(clause, '')} {line}")
    assert {c.clause: c.text for c in agreement.conditions_of_use} == section6
    assert list(section6) == ["6.1", "6.2", "6.3", "6.4"]


def test_confidentiality_statement_is_appendix_1_verbatim(
    agreement: Agreement, source_lines: list[str]
) -> None:
    appendix1 = lines_between(
        source_lines,
        "Appendix 1 - Confidentiality Statement",
        "Appendix 2 – Modern Slavery Personal Data Request",
    )
    appendix1_text = norm(" ".join(appendix1))
    statement = agreement.confidentiality_statement
    assert statement.intro == appendix1[0]
    assert [p.number for p in statement.paragraphs] == [1, 2, 3, 4, 5]
    for paragraph in statement.paragraphs:
        assert f"{paragraph.number}. {paragraph.text}" in appendix1_text
    assert list(statement.paragraphs[4].items) == bullets(appendix1)
    assert "Public Safety" in statement.paragraphs[4].items


def test_exploitation_types_are_the_forms_of_1_4(
    agreement: Agreement, source_lines: list[str]
) -> None:
    forms = bullets(lines_between(source_lines, "1.4", "2"))
    pairs = list(zip(forms[0::2], forms[1::2]))
    assert [(e.name, e.description) for e in agreement.exploitation_types] == pairs
    assert [e.id for e in agreement.exploitation_types] == [
        "sexual", "domestic-servitude", "forced-labour", "criminality", "organ-harvesting",
    ]


def test_information_types_are_the_list_of_5_2(
    agreement: Agreement, source_lines: list[str]
) -> None:
    listed = bullets(lines_between(source_lines, "5.2", "5.3"))
    assert [i.text for i in agreement.information_types] == listed
    assert len({i.id for i in agreement.information_types}) == len(listed) == 7


def test_purposes_are_4_3_with_their_sub_items(
    agreement: Agreement, source_lines: list[str]
) -> None:
    parsed: list[tuple[str, str, list[tuple[str, str]]]] = []
    for line in lines_between(source_lines, "4.3", "5"):
        if match := re.fullmatch(r"(\d)\. (.*)", line):
            parsed.append((match[1], match[2], []))
        elif match := re.fullmatch(r"([a-c])\. (.*)", line):
            parsed[-1][2].append((match[1], match[2]))
    assert [
        (p.number, p.text, [(i.number, i.text) for i in p.items]) for p in agreement.purposes
    ] == parsed
    assert agreement.purpose("disruption").clause == "4.3(5)(c)"
    assert agreement.purpose("protect-prepare").clause == "4.3(8)(b)"


def test_four_p_meanings_come_from_4_3_8(agreement: Agreement) -> None:
    eight_a = agreement.purpose("pursue-prevent").text
    eight_b = agreement.purpose("protect-prepare").text
    assert [(p.name, p.meaning) for p in agreement.four_p] == [
        ("Pursue", eight_a), ("Prevent", eight_a), ("Protect", eight_b), ("Prepare", eight_b),
    ]


def test_request_reasons_and_declaration_are_appendix_2_verbatim(
    agreement: Agreement, source_lines: list[str]
) -> None:
    appendix2 = text_between(
        source_lines, "Appendix 2 – Modern Slavery Personal Data Request",
        "Appendix 2a – Tactical Response Process",
    )
    assert [r.text for r in agreement.request_reasons] == [
        "For prevention, investigation & detection of crime.", "To protect life or property",
    ]
    declaration = agreement.declaration
    texts = [
        declaration.motto, declaration.legal_preamble, declaration.confirm_intro,
        declaration.subject_warning, declaration.onward_requests, declaration.retain_line,
        agreement.request_form.partnership_working_prompt,
        *(r.text for r in agreement.request_reasons),
    ]
    for text in texts:
        assert norm(text) in appendix2, text
    confirmations = " ".join(c.text for c in declaration.confirmations)
    assert norm(f"{declaration.confirm_intro} {confirmations}") in appendix2
    assert len(declaration.confirmations) == 3
    assert "S 29(3)" in declaration.confirmations[2].text
    assert "Article 8(2)" in declaration.confirmations[2].text


def test_secure_channels_are_appendix_4(agreement: Agreement, source_lines: list[str]) -> None:
    # The Appendix 4a heading runs on into a sentence, so find it by its start.
    appendix4a = next(line for line in source_lines if line.startswith("Appendix 4a"))
    appendix4 = lines_between(source_lines, "Appendix 4 – Secure Data Sharing", appendix4a)
    assert agreement.secure_channel("cjsm").suffixes == tuple(
        line for line in appendix4 if line.startswith("@")
    )
    assert agreement.secure_channel("nhs-net").suffixes == ("@nhs.net",)
    assert [c.id for c in agreement.secure_channels] == ["cjsm", "government-connect", "nhs-net"]
    telephone = agreement.transfer_rule("telephone")
    assert telephone.clause == "9.5" and "agency switchboard" in telephone.text


@pytest.mark.parametrize(
    ("address", "channels"),
    [
        ("x@derbyshire.pnn.police.uk", ("cjsm",)),
        ("X@Derbyshire.PNN.Police.UK", ("cjsm",)),
        ("someone@pnn.police.uk", ("cjsm",)),
        ("someone@NHS.NET", ("cjsm", "nhs-net")),
        ("someone@dwp.gsi.gov.uk", ("cjsm",)),
        ("x@gmail.com", ()),
        ("x@notpnn.police.uk", ()),  # a suffix matches whole domain labels only
        ("x@pnn.police.uk.example.com", ()),
        ("not an address", ()),
        ("@pnn.police.uk", ()),
    ],
)
def test_channels_for_email(agreement: Agreement, address: str, channels: tuple[str, ...]) -> None:
    assert tuple(c.id for c in agreement.channels_for_email(address)) == channels


def test_deadlines(agreement: Agreement) -> None:
    deadlines = agreement.deadlines
    assert (
        deadlines.breach_dpm_hours, deadlines.breach_ico_hours, deadlines.review_months,
        deadlines.dispute_days, deadlines.response_due_days,
    ) == (24, 72, 24, 10, 10)
    assert deadlines.rule("breach_dpm_hours").clause == "10.1"
    assert deadlines.rule("review_months").clause == "13.4"
    assert deadlines.rule("dispute_days").clause == "13.3"
    for outside in ("breach_ico_hours", "response_due_days"):
        rule = deadlines.rule(outside)
        assert not rule.in_agreement and rule.clause is None and rule.note


def test_breach_categories(agreement: Agreement) -> None:
    assert [b.id for b in agreement.breach_categories] == [
        "agreement-breach", "meeting-confidentiality", "internal-discipline", "security-incident",
        "equipment-malfunction", "unauthorised-disclosure", "device-loss",
    ]
    needing_alternative = [
        b.id for b in agreement.breach_categories if b.needs_alternative_exchange
    ]
    assert needing_alternative == ["equipment-malfunction"]
    assert agreement.breach_category("meeting-confidentiality").clause == "App. 1 para 3"


def _walk(value: object):
    yield value
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name))
    elif isinstance(value, tuple):
        for element in value:
            yield from _walk(element)


def test_every_item_names_its_clause(agreement: Agreement) -> None:
    checked = 0
    for item in _walk(agreement):
        has_clause = dataclasses.is_dataclass(item) and any(
            f.name == "clause" for f in dataclasses.fields(item)
        )
        if has_clause:
            if getattr(item, "in_agreement", True):
                assert item.clause, item
            checked += 1
    assert checked > 60


def test_verbatim_texts_are_found_in_the_agreement(agreement: Agreement, source_text: str) -> None:
    # Anything the data file calls agreement text, wherever it sits, is in agreement.txt.
    for item in _walk(agreement):
        if isinstance(item, SubService):
            assert norm(item.name) in source_text
    quoted = [
        *agreement.information_types, *agreement.request_reasons, *agreement.transfer_rules,
        *agreement.breach_categories,
    ]
    for item in quoted:
        assert norm(item.text) in source_text, item
    for rule in agreement.deadlines.rules:
        if rule.in_agreement:
            assert norm(rule.text) in source_text and str(rule.value) in rule.text


# --- broken copies ------------------------------------------------------------------------------


def _document() -> dict:
    return json.loads(default_agreement_path().read_text(encoding="utf-8"))


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "derby-derbyshire.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _set(path: tuple, value: object):
    def change(document: dict) -> None:
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def _delete(path: tuple):
    def change(document: dict) -> None:
        target = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


BROKEN = {
    "duplicate code": (
        _set(("partners", 3, "code"), "DCC"),
        "derby-derbyshire.json: partners[3].code: duplicate code 'DCC'",
    ),
    "duplicate sub-service code": (
        _set(("partners", 1, "sub_services", 2, "code"), "ENV-REG"),
        "partners[1].sub_services[2].code: duplicate code 'ENV-REG'",
    ),
    "unknown key": (
        _set(("partners", 0, "colour"), "red"), "partners[0].colour: unknown key 'colour'"
    ),
    "unknown top-level key": (_set(("extras",), {}), "derby-derbyshire.json: extras: unknown key"),
    "missing lawful basis text": (
        _delete(("lawful_bases", 2, "appendix3_text")),
        "lawful_bases[2].appendix3_text: missing required key",
    ),
    "empty lawful basis text": (
        _set(("lawful_bases", 4, "appendix3_text"), "  "),
        "lawful_bases[4].appendix3_text: must not be empty",
    ),
    "bad channel reference": (
        _set(("partners", 4, "secure_channels"), ["cjsm", "carrier-pigeon"]),
        "partners[4].secure_channels[1]: unknown secure channel 'carrier-pigeon'",
    ),
    "two leads": (
        _set(("partners", 5, "lead"), True),
        "partners[5].lead: 'DCON' is already the lead partner",
    ),
    "no lead": (_set(("partners", 2, "lead"), False), "partners: no partner has \"lead\": true"),
    "suffix without @": (
        _set(("secure_channels", 2, "suffixes", 0), "nhs.net"),
        "secure_channels[2].suffixes[0]: suffix 'nhs.net' must start with '@'",
    ),
    "lower-case code": (_set(("partners", 0, "code"), "dwp"), "partners[0].code: code 'dwp'"),
    "wrong type": (
        _set(("partners", 0, "lead"), "yes"), "partners[0].lead: expected true or false"
    ),
    "zero deadline": (
        _set(("deadlines", "dispute_days", "value"), 0),
        "deadlines.dispute_days.value: expected a positive whole number",
    ),
    "deadline in the wrong unit": (
        _set(("deadlines", "breach_dpm_hours", "unit"), "days"),
        "deadlines.breach_dpm_hours.unit: expected 'hours'",
    ),
    "duplicate purpose id in a sub-item": (
        _set(("purposes", 4, "items", 0, "id"), "mapping"),
        "purposes[4].items[0].id: duplicate id 'mapping'",
    ),
    "missing section": (_delete(("four_p",)), "four_p: missing required key"),
    "unknown case stage": (
        _set(("case_stages", 7, "id"), "celebration"),
        "case_stages: must name each stage a vault records exactly once (missing review; unknown celebration)",
    ),
    "case stage without its meaning": (
        _delete(("case_stages", 0, "meaning")), "case_stages[0].meaning: missing required key"),
    "bad reference prefix": (
        _set(("agreement", "reference_prefix"), "msr-"), "agreement.reference_prefix:"
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_broken_copy_is_refused_naming_the_field(tmp_path: Path, case: str) -> None:
    change, expected = BROKEN[case]
    document = copy.deepcopy(_document())
    change(document)
    with pytest.raises(AgreementError) as raised:
        load_agreement(_write(tmp_path, document))
    message = str(raised.value)
    assert message.startswith("derby-derbyshire.json: ")
    assert expected in message
    assert raised.value.file == "derby-derbyshire.json" and raised.value.field


def test_unchanged_copy_loads(tmp_path: Path, agreement: Agreement) -> None:
    assert load_agreement(_write(tmp_path, _document())) == agreement


def test_json_level_problems(tmp_path: Path) -> None:
    raw = default_agreement_path().read_text(encoding="utf-8")
    path = tmp_path / "other.json"

    path.write_text(raw.replace('"format"', '"format": "spocdesk-agreement/1", "format"', 1),
                    encoding="utf-8")
    with pytest.raises(AgreementError, match=r"^other\.json: format: key is given twice"):
        load_agreement(path)

    path.write_text(raw[:200], encoding="utf-8")
    with pytest.raises(AgreementError, match=r"^other\.json: line \d+ column \d+: not valid JSON"):
        load_agreement(path)

    with pytest.raises(AgreementError, match=r"^missing\.json: cannot read the file"):
        load_agreement(tmp_path / "missing.json")

    assert issubclass(AgreementError, ValueError)


def test_names_for_display_give_an_unknown_code_back_as_given(agreement: Agreement) -> None:
    channel = agreement.secure_channels[0]
    assert agreement.channel_name(channel.id) == channel.name
    assert agreement.channel_name("carrier-pigeon") == "carrier-pigeon"
    assert agreement.channel_name("") == ""
    partner = agreement.partners[0]
    assert agreement.partner_name(partner.code) == partner.name
    assert agreement.partner_name("NOPE") == "NOPE"


def test_case_stages_are_agreement_data_with_appendix_2a_as_default(tmp_path: Path, agreement: Agreement,
                                                                    monkeypatch) -> None:
    from app import cases
    from app.agreement import DEFAULT_CASE_STAGES

    assert [s.id for s in agreement.case_stages] == ["information", "assessment", "investigation", "sio-oic",
                                                     "tactical-advice", "tactical-meeting", "four-p-actions", "review"]
    assert agreement.case_stages == DEFAULT_CASE_STAGES and all(s.clause == "App. 2a" for s in agreement.case_stages)
    document = _document()
    del document["case_stages"]
    assert load_agreement(_write(tmp_path, document)).case_stages == DEFAULT_CASE_STAGES
    # Another agreement's own names and order: what app.cases offers and how it orders stages.
    document = _document()
    document["case_stages"].reverse()
    document["case_stages"][0]["name"] = "Debrief & lessons"
    custom = load_agreement(_write(tmp_path, document))
    monkeypatch.setattr(cases, "load_agreement", lambda *a: custom)
    assert list(cases.stages())[0] == "review" and cases.stage_label("review") == "Debrief & lessons"
    assert cases.stage_order("information") == 7
