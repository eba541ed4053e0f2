"""Validation of an exchange document: reading the file, the JSON Schema (fastjsonschema first,
jsonschema to word a refusal) and the domain checks that name the record and field."""

from __future__ import annotations

import itertools
import json
import re
from functools import lru_cache
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.exchange.columns import (FORMAT, SCHEMA_FILE)
from app.exchange.stream import STREAM_FROM, StreamedItems, streamed_document
from app.paths import resource_path

# A JSON text can hold an unpaired surrogate only as a \uD800-\uDFFF escape (UTF-8 text cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# An escape of an unpaired surrogate (a high one not followed by a low one, or a low one alone):
# yajl, which streams large documents, would read it as "?", so such a document is read whole.
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                                    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate_escape(raw: bytes) -> bool:
    """Whether the text holds an escaped unpaired surrogate. The pattern (with its look-behind)
    costs about 3 s over 100 MB, so it runs only when a surrogate escape is there at all: a
    plain `in` (C, about 0.1 s) answers for nearly every file."""
    if b"\\ud" not in raw and b"\\uD" not in raw:
        return False
    return _LONE_SURROGATE_ESCAPE.search(raw) is not None


# Limits, stated in docs/exchange-format.md, each checked before parsing can grow memory.
MAX_FILE_BYTES = 200 * 1024 * 1024  # an exchange file or package, and the document inside one
MAX_DEPTH = 24  # the schema's deepest path is 7 levels (a breach update's details); room to spare
MEMORY_SLACK = 100 * 1024 * 1024
BYTES_PER_VALUE = 64  # what one parsed JSON value costs at most, about (a pointer and a small object)
MAX_ITEMS = {"requests": 100_000, "subjects": 1_000_000, "disclosures": 2_000_000, "contacts": 100_000,
             "partner_suspensions": 10_000, "breaches": 100_000, "meetings": 100_000, "retention_events": 1_000_000,
             "retention_decisions": 1_000_000, "disposals": 100_000, "info_requests": 100_000,
             "sar_consultations": 1_000_000, "correction_notices": 1_000_000, "corrections": 1_000_000,
             "correction_recipients": 1_000_000, "complaints": 100_000, "complaint_updates": 1_000_000,
             "dispatch_chases": 1_000_000, "channel_outages": 100_000, "outage_notices": 1_000_000,
             "packages": 2_000_000, "compliance_returns": 100_000, "user_approvals": 10_000,
             "telephone_calls": 1_000_000, "dispatch_states": 20_000_000}
MAX_PER_REQUEST = {"subjects": 1_000, "dispatches": 200}
MAX_RESPONSES_PER_DISPATCH = 200
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_size(size: int, name: str, limit: int = MAX_FILE_BYTES) -> None:
    if size > limit:
        raise InvalidInput(f"{name} is {size / 1024 / 1024:.0f} MB; the limit is {limit // 1024 // 1024} MB, so it "
                           "was not read (nothing was changed).")


def _depth_over(raw: bytes, limit: int) -> bool:
    """Whether the JSON text nests lists and objects deeper than `limit`, without parsing it.
    Quick bound first: each pass that removes every empty [] then every empty {} takes at most two
    levels off, so a text emptied in limit/2 passes nests no deeper than `limit`. Only when that
    leaves something (a bracket inside a text value, or a deep file) is it scanned exactly, strings
    skipped, stopping at the first level too deep."""
    rest = raw.translate(None, _NOT_BRACKETS)
    for _ in range(limit // 2):
        if not rest:
            return False
        shorter = rest.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(rest):
            break
        rest = shorter
    if not rest:
        return False
    del rest
    depth = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def parse_document(raw: bytes | list, name: str) -> tuple[dict, bool]:
    """Parse an exchange document's bytes within the stated limits: size, nesting depth and the
    number of values its size allows, all refused in words before json.loads builds anything.
    Returns the document and whether its text holds any surrogate escape. Given a one-item list
    instead of bytes, it takes the bytes out of it, so they are freed once decoded."""
    if isinstance(raw, list):
        raw = raw.pop()
    check_size(len(raw), name)
    if _depth_over(raw, MAX_DEPTH):
        raise InvalidInput(f"{name} nests lists and objects more than {MAX_DEPTH} levels deep; no SPOC Desk "
                           "exchange file does, so it was not read (nothing was changed).")
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1
    allowed = (len(raw) + MEMORY_SLACK) // BYTES_PER_VALUE
    if values > allowed:
        raise InvalidInput(f"{name} holds about {values:,} values, more than a file of its size may "
                           f"({allowed:,}); it was not read (nothing was changed).")
    if len(raw) >= STREAM_FROM and not _lone_surrogate_escape(raw):
        # A large document (a whole vault) is read a record at a time: app.exchange.stream.
        doc = streamed_document(raw, name)
        if isinstance(doc, dict) and doc.get("scope") != "vault":
            # Only a whole vault is worked on a record at a time; anything else is built whole.
            check_lengths(doc, name)
            doc = {key: (list(value) if isinstance(value, StreamedItems) else value) for key, value in doc.items()}
        check_lengths(doc, name)
        return doc, False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not UTF-8 text; it is not a SPOC Desk exchange file.") from None
    del raw
    escapes = bool(_SURROGATE_ESCAPE.search(text))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise InvalidInput(f"{name} nests lists and objects too deeply; it was not read.") from None
    del text
    check_lengths(doc, name)
    return doc, escapes


def check_lengths(doc, name: str = "the file") -> None:
    """Arrays over the stated lengths are refused before the schema walks them."""
    if not isinstance(doc, dict):
        return
    for key, limit in MAX_ITEMS.items():
        items = doc.get(key)
        if isinstance(items, (list, StreamedItems)) and len(items) > limit:
            raise InvalidInput(f"Import refused, nothing was changed: {name}: {key} has {len(items):,} entries; "
                               f"the limit is {limit:,}.")
    if isinstance(doc.get("requests"), StreamedItems):
        return  # checked a record at a time, as validation walks them (validate_document)
    for i, request in enumerate(doc.get("requests") or []):
        _check_request_lengths(i, request)


def _check_request_lengths(i: int, request) -> None:
    if not isinstance(request, dict):
        return
    for key, limit in MAX_PER_REQUEST.items():
        items = request.get(key)
        if isinstance(items, list) and len(items) > limit:
            raise InvalidInput(f"Import refused, nothing was changed: requests[{i}]: {key} has {len(items):,} "
                               f"entries; the limit is {limit:,}.")
    for j, dispatch in enumerate(request.get("dispatches") or []):
        items = dispatch.get("responses") if isinstance(dispatch, dict) else None
        if isinstance(items, list) and len(items) > MAX_RESPONSES_PER_DISPATCH:
            raise InvalidInput(f"Import refused, nothing was changed: requests[{i}]: dispatches[{j}].responses "
                               f"has {len(items):,} entries; the limit is {MAX_RESPONSES_PER_DISPATCH:,}.")


def _read(path: Path) -> tuple[dict, bool]:
    """The document, and whether its text has any surrogate escape (if not, none can be unpaired)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise IsADirectoryError
        check_size(path.stat().st_size, path.name)
        holder = [path.read_bytes()]
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not an exchange file.") from None
    return parse_document(holder, path.name)


# ---- validation -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=1)
def _fast_check():
    """The same schema compiled to Python by fastjsonschema: about ten times quicker on a large
    file, so a file that passes is not slowed by jsonschema; a file that fails is re-checked
    with jsonschema, whose messages and paths name the record and field. The schema uses no
    keyword that differs between draft 7 and 2020-12 (a test checks both agree)."""
    import fastjsonschema

    schema = dict(_validator().schema)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema), fastjsonschema.JsonSchemaException


def schema() -> dict:
    return _validator().schema


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _where(doc: dict, path: list) -> str:
    """'requests[3] MSR-2026-0004: dispatches[0].status' for a path into the document."""
    if not path:
        return "the file"
    head, rest = path[0], list(path[1:])
    label = str(head)
    if rest and isinstance(rest[0], int):
        index = rest.pop(0)
        label = f"{head}[{index}]"
        try:
            item = doc[head][index]
            name = item.get("reference") if head in ("requests", "breaches", "meetings", "cases", "disposals",
                                                    "info_requests", "complaints", "corrections",
                                                    "correction_notices") else None
            if name and isinstance(name, str):
                label += f" {_short(name, 40)}"
        except Exception:  # noqa: BLE001 - naming the record is best effort; the refusal stands
            pass
    tail = ""
    for part in rest:
        tail += f"[{part}]" if isinstance(part, int) else (f".{part}" if tail else str(part))
    return f"{label}: {tail}" if tail else label


class _Bad(Exception):
    def __init__(self, path: list, message: str):
        self.path, self.message = path, message


def validate_document(doc, *, may_hold_surrogates: bool = True) -> None:
    """Schema first (jsonschema), then the agreement's codes and the links between records."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise InvalidInput(f"This is not a SPOC Desk exchange file (format {found!r}; expected {FORMAT!r}).")
    streamed = [key for key, value in doc.items() if isinstance(value, StreamedItems)]
    # A streamed document's long lists are checked a record at a time against their items'
    # schema, as the domain checks walk them (one pass each); the rest of it (small) against the
    # whole schema with those lists left empty.
    _schema_check(doc, {key: ([] if key in streamed else value) for key, value in doc.items()}, [],
                  *_fast_check(), _validator())
    checked = {key: _Checked(doc, key) for key in streamed}
    try:
        if may_hold_surrogates and _has_surrogates(doc):
            _no_surrogates(doc, [])  # find and name where
        _domain_checks({**doc, **checked})
    except _Bad as bad:
        raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, bad.path)}: {bad.message}.") from None
    for view in checked.values():
        view.finish()  # any list the domain checks did not walk in full is checked now


class _Checked:
    """A streamed list as the domain checks see it: each record schema-checked (and a request's
    lists measured) just before it is handed on."""

    def __init__(self, doc: dict, key: str):
        self.doc, self.key, self.items = doc, key, doc[key]
        self.done = False

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def __iter__(self):
        if self.done:  # walked and checked in full once already
            yield from self.items
            return
        check, failure, validator = _item_check(self.key)
        count = 0
        for index, item in enumerate(self.items):
            if self.key == "requests":
                _check_request_lengths(index, item)
            _schema_check(self.doc, {self.key: [item]}, [], check, failure, validator, index=index)
            count += 1
            yield item
        self.done = count == len(self.items)

    def finish(self) -> None:
        if not self.done:
            for _item in self:
                pass


def _schema_check(doc, value, path: list, check, failure, validator, index: int | None = None) -> None:
    """fastjsonschema first; on failure jsonschema names the first problem (every error of a
    large bad file would cost gigabytes). `value` is the document, or `{key: [one record]}` of
    a streamed list with `index` that record's place in it."""
    try:
        check(value)
        return
    except failure as fast_error:
        errors = list(itertools.islice(validator.iter_errors(value), 1))
        if not errors:  # the two disagree: stay strict and say what the quick check found
            raise InvalidInput(f"Import refused, nothing was changed: {_short(str(fast_error))}.") from None
    error = errors[0]
    where = path + list(error.absolute_path)
    if index is not None and len(where) > 1:
        where[1] = index
    raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, where)}: "
                       f"{_short(error.message)}.")


@lru_cache(maxsize=None)
def _item_check(key: str):
    """(quick check, its failure class, jsonschema validator) for `{key: [one record]}`: the
    document schema's own definition of that list, so a record is checked exactly as in a whole
    document (the same $id resolves the same $refs)."""
    import fastjsonschema
    import jsonschema

    whole = _validator().schema
    part = {"$id": whole["$id"], "$defs": whole["$defs"], "type": "object",
            "properties": {key: whole["properties"][key]}}
    return (fastjsonschema.compile({**part, "$schema": "http://json-schema.org/draft-07/schema#"}),
            fastjsonschema.JsonSchemaException, jsonschema.Draft202012Validator(part))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(doc) -> bool:
    """Quick test for any unpaired surrogate: UTF-8 cannot encode one (done in C, not a Python walk)."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _no_surrogates(value, path: list) -> None:
    """Refuse unpaired surrogates (a JSON escape such as "\\ud800"): no UTF-8 text can hold them,
    so the vault could not store them and another desk could not read them back."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise _Bad(path, "holds an unpaired surrogate character, which cannot be stored as text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_surrogates(key, path)
            _no_surrogates(item, path + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_surrogates(item, path + [index])


def _domain_checks(doc: dict) -> None:
    from app.requests import validate_request
    from app.responses import validate_response
    from app.subjects import validate_subject

    agreement = load_agreement()
    made_under = doc.get("agreement")
    if isinstance(made_under, str) and made_under != agreement.info.short_name:  # issue 20
        raise _Bad(["agreement"], f"was made under {made_under!r}; this vault works under "
                                  f"{agreement.info.short_name!r}, and never takes records of another agreement")
    codes = set(agreement.partner_codes())
    if doc["desk"]["agency"] not in codes:
        raise _Bad(["desk", "agency"], f"unknown agency {doc['desk']['agency']!r}")
    # Each streamed list is walked once here; what later checks need of it is kept as it goes
    # (a subject's kind for the cases and links, the register rows a meeting's permission names).
    subject_ids: dict[str, str] = {}
    for i, subject in enumerate(doc["subjects"]):
        if subject["origin_agency"] not in codes:
            raise _Bad(["subjects", i, "origin_agency"], "unknown agency")
        if subject["id"] in subject_ids:
            raise _Bad(["subjects", i, "id"], "appears twice in the file")
        subject_ids[subject["id"]] = subject["kind"]
        problems, _ = validate_subject(subject)
        if problems:
            raise _Bad(["subjects", i, problems[0].field], problems[0].message)
    seen_ids: set[str] = set()
    seen_refs: set[tuple[str, str]] = set()
    for i, request in enumerate(doc["requests"]):
        where = ["requests", i]
        if request["origin_agency"] not in codes:
            raise _Bad(where + ["origin_agency"], f"unknown agency {request['origin_agency']!r}")
        key = (request["origin_agency"], request["reference"])
        if key in seen_refs or request["id"] in seen_ids:
            raise _Bad(where + ["reference"], "the same request appears twice in the file")
        seen_refs.add(key)
        seen_ids.add(request["id"])
        problems, _ = validate_request({k: request[k] for k in request if k not in ("subjects", "dispatches")})
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)
        for j, link in enumerate(request["subjects"]):
            if link["subject_id"] not in subject_ids:
                raise _Bad(where + ["subjects", j, "subject_id"], "names a subject that is not in the file")
        targets = set()
        for j, dispatch in enumerate(request["dispatches"]):
            dwhere = where + ["dispatches", j]
            if dispatch["agency"] not in codes:
                raise _Bad(dwhere + ["agency"], f"unknown agency {dispatch['agency']!r}")
            if dispatch["sub_service"] and dispatch["sub_service"] not in {
                    s.code for s in agreement.partner(dispatch["agency"]).sub_services}:
                raise _Bad(dwhere + ["sub_service"], f"{dispatch['agency']} has no sub-service {dispatch['sub_service']!r}")
            target = (dispatch["agency"], dispatch["sub_service"])
            if target in targets or dispatch["id"] in seen_ids:
                raise _Bad(dwhere, "the same agency appears twice")
            targets.add(target)
            seen_ids.add(dispatch["id"])
            for k, response in enumerate(dispatch["responses"]):
                rwhere = dwhere + ["responses", k]
                if response["origin_agency"] != dispatch["agency"]:
                    raise _Bad(rwhere + ["origin_agency"], "a response must come from the agency it was sent to")
                if response["id"] in seen_ids:
                    raise _Bad(rwhere + ["id"], "appears twice in the file")
                seen_ids.add(response["id"])
                data = {k2: v for k2, v in response.items()}
                problems, _ = validate_response(data, for_sending=response["status"] != "draft")
                if problems:
                    raise _Bad(rwhere + [problems[0].field], problems[0].message)
    bases = {b.id for b in agreement.lawful_bases}
    named = {p.get("disclosure_id") for m in doc.get("meetings", []) if isinstance(m, dict)
             for p in m.get("permissions") or [] if isinstance(p, dict)} - {None}
    register = {}
    for i, row in enumerate(doc.get("disclosures", [])):
        if row["id"] in named:
            register[row["id"]] = row
        for col in ("from_agency", "to_agency", "originator"):
            if row[col] not in codes:
                raise _Bad(["disclosures", i, col], f"unknown agency {row[col]!r}")
        for basis in row["lawful_bases"]:
            if basis not in bases:
                raise _Bad(["disclosures", i, "lawful_bases"], f"unknown lawful basis {basis!r}")
    for name in ("contacts", "partner_suspensions"):
        for i, row in enumerate(doc.get(name, [])):
            if row["partner"] not in codes:
                raise _Bad([name, i, "partner"], f"unknown agency {row['partner']!r}")
    _check_breaches(doc, codes)
    _check_meetings(doc, codes, register)
    _check_cases(doc, codes, subject_ids)
    _check_rights(doc, codes)
    _check_carried(doc, codes)


def _check_carried(doc: dict, codes: set[str]) -> None:
    from app.exchange import carry

    try:
        carry.check(doc, codes)
    except carry.Bad as bad:
        raise _Bad(bad.path, bad.message) from None


def _check_rights(doc: dict, codes: set[str]) -> None:
    from app.exchange import rights

    try:
        rights.check(doc, codes)
    except rights.Bad as bad:
        raise _Bad(bad.path, bad.message) from None


def _check_cases(doc: dict, codes: set[str], subject_kinds: dict[str, str]) -> None:
    from app.exchange import cases

    try:
        cases.check(doc, codes, subject_kinds)
    except cases.Bad as bad:
        raise _Bad(bad.path, bad.message) from None


def _check_breaches(doc: dict, codes: set[str]) -> None:
    from app.breaches import validate_breach
    from app.timeutil import parse_utc

    seen: set[str] = set()
    refs: set[tuple[str, str]] = set()
    if doc.get("breaches") and doc["scope"] != "vault":
        raise _Bad(["breaches"], "breaches travel only in a whole-vault file")
    for i, breach in enumerate(doc.get("breaches", [])):
        where = ["breaches", i]
        for col in ("origin_agency", "agency"):
            if breach[col] not in codes:
                raise _Bad(where + [col], f"unknown agency {breach[col]!r}")
        key = (breach["origin_agency"], breach["reference"])
        if breach["id"] in seen or key in refs:
            raise _Bad(where + ["reference"], "the same breach appears twice in the file")
        seen.add(breach["id"])
        refs.add(key)
        problems, _ = validate_breach({k: breach[k] for k in breach if k != "updates"},
                                      now=parse_utc("9999-12-31T00:00:00+00:00"))
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)
        for j, update in enumerate(breach["updates"]):
            if update["id"] in seen:
                raise _Bad(where + ["updates", j, "id"], "appears twice in the file")
            seen.add(update["id"])
            for col in ("at", "recorded_at"):
                try:
                    parse_utc(update[col])
                except ValueError:
                    raise _Bad(where + ["updates", j, col], "must be a UTC time like 2026-03-02T10:15:00+00:00") \
                        from None
            for code in [update["details"].get("partner")] + list(update["details"].get("partners", [])):
                if code is not None and code not in codes:
                    raise _Bad(where + ["updates", j, "details"], f"unknown agency {code!r}")


def _check_utc(where: list, value, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    from app.timeutil import parse_utc

    try:
        parse_utc(value)
    except (ValueError, TypeError):
        raise _Bad(where, "must be a UTC time like 2026-03-02T10:15:00+00:00") from None


def _check_meetings(doc: dict, codes: set[str], register: dict[str, dict]) -> None:
    """Each meeting and its parts: the agreement's partner codes and 4P categories, real times and
    dates, agenda links inside the meeting, an action's history that starts 'open' and ends at its
    status, and a register row named by a granted permission only (and agreeing with it, when
    the row is in the file: `register`, the rows of the file's register that a permission names).
    Links to requests and to register rows outside the file are checked against the vault on
    import."""
    from app.meetings import validate_action, validate_attendee, validate_meeting, validate_permission
    from app.records import check_text
    from app.timeutil import parse_utc

    meetings = doc.get("meetings", [])
    if meetings and doc["scope"] != "vault":
        raise _Bad(["meetings"], "meetings travel only in a whole-vault file")
    far = parse_utc("9999-12-31T00:00:00+00:00")
    seen: set[str] = set()
    refs: set[tuple[str, str]] = set()
    claimed: set[str] = set()

    def once(where: list, record_id: str) -> None:
        if record_id in seen:
            raise _Bad(where + ["id"], "appears twice in the file")
        seen.add(record_id)

    def first(where: list, problems) -> None:
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)

    for i, meeting in enumerate(meetings):
        where = ["meetings", i]
        if meeting["origin_agency"] not in codes:
            raise _Bad(where + ["origin_agency"], f"unknown agency {meeting['origin_agency']!r}")
        key = (meeting["origin_agency"], meeting["reference"])
        if meeting["id"] in seen or key in refs:
            raise _Bad(where + ["reference"], "the same meeting appears twice in the file")
        seen.add(meeting["id"])
        refs.add(key)
        for col in ("held_at", "created_at", "updated_at"):
            _check_utc(where + [col], meeting[col])
        first(where, validate_meeting(meeting, now=far)[0])
        for j, attendee in enumerate(meeting["attendees"]):
            awhere = where + ["attendees", j]
            once(awhere, attendee["id"])
            first(awhere, validate_attendee(attendee)[0])
            _check_utc(awhere + ["created_at"], attendee["created_at"])
            accepted = [attendee[c] is not None for c in ("accepted_at", "accepted_recorded_by",
                                                           "accepted_recorded_at")]
            if any(accepted) and not all(accepted):
                raise _Bad(awhere + ["accepted_at"], "an acceptance needs its time, who recorded it and when")
            for col in ("accepted_at", "accepted_recorded_at"):
                _check_utc(awhere + [col], attendee[col], nullable=True)
        items: dict[str, dict] = {}
        positions: set[int] = set()
        linked: set[str] = set()
        for j, item in enumerate(meeting["agenda"]):
            iwhere = where + ["agenda", j]
            once(iwhere, item["id"])
            items[item["id"]] = item
            if item["position"] in positions:
                raise _Bad(iwhere + ["position"], "two agenda items have the same position")
            positions.add(item["position"])
            _check_utc(iwhere + ["created_at"], item["created_at"])
            if item["kind"] == "request":
                if item["request_id"] is None:
                    raise _Bad(iwhere + ["request_id"], "a request item must name its request")
                if item["request_id"] in linked:
                    raise _Bad(iwhere + ["request_id"], "the request is already on this agenda")
                linked.add(item["request_id"])
            else:
                if item["request_id"] is not None:
                    raise _Bad(iwhere + ["request_id"], "a case has no request (put the request on the agenda)")
                problems: list = []
                check_text(problems, "title", item["title"], required=True, missing="a case needs a title",
                           limit=500)
                first(iwhere, problems)

        def on_agenda(pwhere: list, item_id, items=items) -> None:
            if item_id is not None and item_id not in items:
                raise _Bad(pwhere + ["agenda_item_id"], "is not an item of this meeting's agenda")

        for j, decision in enumerate(meeting["decisions"]):
            dwhere = where + ["decisions", j]
            once(dwhere, decision["id"])
            on_agenda(dwhere, decision["agenda_item_id"])
            problems = []
            check_text(problems, "text", decision["text"], required=True, missing="a decision needs its text")
            first(dwhere, problems)
            _check_utc(dwhere + ["recorded_at"], decision["recorded_at"])
        for j, action in enumerate(meeting["actions"]):
            xwhere = where + ["actions", j]
            once(xwhere, action["id"])
            first(xwhere, validate_action(action)[0])
            on_agenda(xwhere, action["agenda_item_id"])
            for col in ("created_at", "updated_at"):
                _check_utc(xwhere + [col], action[col])
            history = action["updates"]
            if not history or history[0]["status"] != "open":
                raise _Bad(xwhere + ["updates"], "an action's history starts with 'open' when it was agreed")
            if history[-1]["status"] != action["status"]:
                raise _Bad(xwhere + ["status"], f"is {action['status']!r} but its history ends "
                                                f"{history[-1]['status']!r}")
            for k, update in enumerate(history):
                once(xwhere + ["updates", k], update["id"])
                _check_utc(xwhere + ["updates", k, "at"], update["at"])
        for j, permission in enumerate(meeting["permissions"]):
            pwhere = where + ["permissions", j]
            once(pwhere, permission["id"])
            first(pwhere, validate_permission(permission, now=far)[0])
            on_agenda(pwhere, permission["agenda_item_id"])
            for col in ("decided_at", "recorded_at"):
                _check_utc(pwhere + [col], permission[col])
            did = permission["disclosure_id"]
            if not permission["granted"]:
                if did is not None:
                    raise _Bad(pwhere + ["disclosure_id"], "a refused permission has no disclosure register row")
                continue
            if did is None:
                raise _Bad(pwhere + ["disclosure_id"], "a granted permission names its disclosure register row")
            if did in claimed:
                raise _Bad(pwhere + ["disclosure_id"], "another permission names the same register row")
            claimed.add(did)
            if did in register:
                problem = _register_mismatch(permission, register[did], items)
                if problem:
                    raise _Bad(pwhere + ["disclosure_id"], problem)


def _register_mismatch(permission: dict, row: dict, items: dict[str, dict]) -> str | None:
    """Why the register row of a granted permission does not record that grant (None if it does):
    kind 'meeting', sent from the asking agency to `to_agency` at the decision time, linked to the
    request of the permission's agenda item (if any) - as app.meetings.record_permission writes it."""
    item = items.get(permission["agenda_item_id"]) if permission["agenda_item_id"] else None
    expected = {"kind": "meeting", "direction": "sent", "from_agency": permission["requested_by_agency"],
                "to_agency": permission["to_agency"], "at": permission["decided_at"],
                "request_id": item["request_id"] if item is not None else None}
    for col, value in expected.items():
        if row[col] != value:
            return (f"the disclosure register row {row['id']} does not record this grant "
                    f"(its {col} is {row[col]!r}, not {value!r})")
    return None


# ---- import ---------------------------------------------------------------------------------

