"""The information sharing agreement, as reference data.

Everything the app needs from the agreement (partners and their sub-services, lawful bases with
their Appendix 3 text, purposes, information and exploitation types, the request declaration,
conditions of use, secure channels, deadlines, breach categories) is read from one JSON file in
`resources/agreement/`, so another partnership can use the app by supplying its own file
(DESIGN.md, "The agreement is data, not code"; docs/agreement-data.md).

The file is checked strictly: a wrong or unknown field stops the load with an `AgreementError`
naming the file and the field path, because a silently ignored typo in legal reference data is
worse than a refusal to start. Pure Python: this module never imports Qt.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.errors import AgreementError
from app.paths import resource_path

FORMAT = "spocdesk-agreement/1"

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
PREFIX_PATTERN = re.compile(r"^[A-Z]{2,8}$")
SUFFIX_PATTERN = re.compile(r"^@[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)




# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementInfo:
    title: str
    short_name: str
    version: str | None
    date: _dt.date | None
    review_period_months: int
    review_clause: str
    reference_prefix: str  # human request references look like MSR-2026-0001
    protective_marking: str  # App. 1 para 2: every document carries it


@dataclass(frozen=True)
class RequestForm:
    """Fixed wording of the Appendix 2 request form, other than its declaration."""

    title: str
    operation: str
    partnership_working_prompt: str
    clause: str


@dataclass(frozen=True)
class Contact:
    """An Appendix 4a single point of contact; blank fields are for the partnership to fill."""

    team: str
    name: str
    email: str
    telephone: str


@dataclass(frozen=True)
class SubService:
    code: str
    name: str
    clause: str
    spoc: bool = False  # the team through which requests reach the partner


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    clause: str
    section3: bool  # False for agencies named elsewhere only (e.g. GAIN in Appendix 4a)
    lead: bool  # raises requests and collates responses (2.3-2.5, 5.3)
    sub_services: tuple[SubService, ...]
    secure_channels: tuple[str, ...]  # SecureChannel ids this agency would normally use
    contacts: tuple[Contact, ...]

    def sub_service(self, code: str) -> SubService:
        return _find(self.sub_services, "code", code, f"sub-service of {self.code}")


@dataclass(frozen=True)
class LawfulBasis:
    id: str
    title: str  # as the agreement words it, e.g. "Section 29(3), Data Protection Act 1998"
    clause: str
    appendix3_text: str  # Appendix 3 explanation, one paragraph per line
    in_force: bool  # is the provision the agreement names still in force?
    current: str  # what to cite today, shown beside the agreement's reference
    note: str


@dataclass(frozen=True)
class Purpose:
    id: str
    number: str
    text: str
    clause: str
    items: tuple[Purpose, ...] = ()


@dataclass(frozen=True)
class InformationType:
    id: str
    text: str
    clause: str


@dataclass(frozen=True)
class ExploitationType:
    id: str
    name: str
    description: str
    clause: str


@dataclass(frozen=True)
class RequestReason:
    id: str
    text: str
    clause: str


@dataclass(frozen=True)
class Confirmation:
    id: str
    text: str  # the agreement's full wording, as signed
    plain: str = ""  # the same statement in plain words, shown on the form (the full wording behind it)


@dataclass(frozen=True)
class Successor:
    """A reference in the signed wording to a law since replaced, with what replaced it."""
    old: str  # as the wording writes it, e.g. "S 29(3)"
    new: str  # e.g. "Data Protection Act 2018, Schedule 2, Part 1, paragraph 2"


@dataclass(frozen=True)
class Declaration:
    clause: str
    motto: str
    legal_preamble: str
    confirm_intro: str
    confirmations: tuple[Confirmation, ...]
    subject_warning: str
    onward_requests: str
    retain_line: str
    successors: tuple[Successor, ...] = ()

    def full_wording(self, text: str) -> str:
        """`text` with each replaced law's reference followed by its successor, in brackets."""
        for successor in self.successors:
            text = text.replace(successor.old, f"{successor.old} [now {successor.new}]")
        return text


@dataclass(frozen=True)
class FourP:
    id: str
    name: str
    meaning: str
    clause: str


@dataclass(frozen=True)
class CaseStage:
    """A stage of the tactical response process (Appendix 2a) a case moves through."""

    id: str
    name: str
    meaning: str
    clause: str


# Appendix 2a in its order: the stages an agreement file without `case_stages` gets.
DEFAULT_CASE_STAGES: tuple[CaseStage, ...] = tuple(CaseStage(i, n, m, "App. 2a") for i, n, m in (
    ("information", "Information in", "Information comes into the Op. Wilberforce team (or the lead agency)."),
    ("assessment", "Assessment", "Assessment of the intelligence: investigation, or further engagement and "
                                 "development?"),
    ("investigation", "Investigation or intelligence development",
     "An investigation is required, or the intelligence is developed through engagement."),
    ("sio-oic", "SIO/OIC appointed", "A senior investigating officer or officer in the case is identified."),
    ("tactical-advice", "Tactical advice and enforcement pre-meet",
     "The SIO/OIC obtains MDSHT tactical advice from Op. Wilberforce; an enforcement pre-meet with the agencies "
     "involved."),
    ("tactical-meeting", "Tactical meeting", "A tactical meeting with the agencies that can assist with the case."),
    ("four-p-actions", "4P actions", "Actions under Pursue, Prevent, Protect and Prepare."),
    ("review", "Review and debrief", "Case review and debrief with partners: what we learnt."),
))


@dataclass(frozen=True)
class ClauseText:
    clause: str
    text: str


@dataclass(frozen=True)
class ConfidentialityParagraph:
    number: int
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfidentialityStatement:
    title: str
    clause: str
    intro: str
    paragraphs: tuple[ConfidentialityParagraph, ...]


@dataclass(frozen=True)
class SecureChannel:
    id: str
    name: str
    clause: str
    suffixes: tuple[str, ...]  # e-mail address suffixes, each starting with "@"
    suitable_for: str
    available_to: str
    note: str = ""

    def accepts(self, address: str) -> bool:
        """Whether this channel carries mail to `address`, judged by its domain suffix.

        "@pnn.police.uk" accepts "x@pnn.police.uk" and "x@derbyshire.pnn.police.uk", but not
        "x@notpnn.police.uk": a suffix matches whole domain labels only.
        """
        domain = _email_domain(address)
        if domain is None:
            return False
        for suffix in self.suffixes:
            base = suffix[1:].lower()
            if domain == base or domain.endswith("." + base):
                return True
        return False


@dataclass(frozen=True)
class TransferRule:
    id: str
    clause: str
    text: str


@dataclass(frozen=True)
class Deadline:
    name: str  # the Deadlines field it sets, e.g. "breach_dpm_hours"
    value: int
    unit: str
    clause: str | None  # None when the rule is not in the agreement (law or local policy)
    in_agreement: bool
    text: str
    note: str
    counting: str = "calendar"  # for days: "calendar" or "working" (England and Wales)


@dataclass(frozen=True)
class Deadlines:
    breach_dpm_hours: int
    breach_ico_hours: int
    review_months: int
    dispute_days: int
    response_due_days: int
    rules: tuple[Deadline, ...]  # where each value comes from

    def rule(self, name: str) -> Deadline:
        return _find(self.rules, "name", name, "deadline")

    @property
    def dispute_working_days(self) -> bool:
        """13.3's clock counts working days only where the agreement data says so."""
        return self.rule("dispute_days").counting == "working"


@dataclass(frozen=True)
class BreachCategory:
    id: str
    name: str
    clause: str
    text: str
    needs_alternative_exchange: bool = False  # 10.2: equipment failure needs another route


@dataclass(frozen=True)
class Agreement:
    source: str  # file name, for messages
    info: AgreementInfo
    request_form: RequestForm
    partners: tuple[Partner, ...]
    lawful_bases: tuple[LawfulBasis, ...]
    purposes: tuple[Purpose, ...]
    information_types: tuple[InformationType, ...]
    exploitation_types: tuple[ExploitationType, ...]
    request_reasons: tuple[RequestReason, ...]
    declaration: Declaration
    four_p: tuple[FourP, ...]
    conditions_of_use: tuple[ClauseText, ...]
    confidentiality_statement: ConfidentialityStatement
    secure_channels: tuple[SecureChannel, ...]
    transfer_rules: tuple[TransferRule, ...]
    deadlines: Deadlines
    breach_categories: tuple[BreachCategory, ...]
    case_stages: tuple[CaseStage, ...] = DEFAULT_CASE_STAGES

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def reference_prefix(self) -> str:
        return self.info.reference_prefix

    @property
    def lead_partner(self) -> Partner:
        return next(p for p in self.partners if p.lead)

    def partner(self, code: str) -> Partner:
        return _find(self.partners, "code", code, "partner")

    def partner_name(self, code: str, sub_service: str = "") -> str:
        """The partner's name (with the sub-service's, if any) for display; an unknown code as given."""
        try:
            partner = self.partner(code)
        except KeyError:
            return code
        if not sub_service:
            return partner.name
        try:
            return f"{partner.name} – {partner.sub_service(sub_service).name}"
        except KeyError:
            return f"{partner.name} – {sub_service}"

    def partner_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.partners)

    def lawful_basis(self, id: str) -> LawfulBasis:
        return _find(self.lawful_bases, "id", id, "lawful basis")

    def purpose(self, id: str) -> Purpose:
        return _find(_flatten_purposes(self.purposes), "id", id, "purpose")

    def secure_channel(self, id: str) -> SecureChannel:
        return _find(self.secure_channels, "id", id, "secure channel")

    def channel_name(self, id: str) -> str:
        """The secure channel's name for display; an unknown (or empty) id as given."""
        try:
            return self.secure_channel(id).name
        except KeyError:
            return id

    def breach_category(self, id: str) -> BreachCategory:
        return _find(self.breach_categories, "id", id, "breach category")

    def transfer_rule(self, id: str) -> TransferRule:
        return _find(self.transfer_rules, "id", id, "transfer rule")

    def channels_for_email(self, address: str) -> tuple[SecureChannel, ...]:
        """The Appendix 4 channels that accept `address` (case-insensitive); () when none do."""
        return tuple(c for c in self.secure_channels if c.accepts(address))


_T = TypeVar("_T")


def _find(items: Sequence[_T], attribute: str, key: str, what: str) -> _T:
    for item in items:
        if getattr(item, attribute) == key:
            return item
    known = ", ".join(str(getattr(item, attribute)) for item in items)
    raise KeyError(f"no {what} {key!r} in the agreement (known: {known})")


def _flatten_purposes(purposes: Iterable[Purpose]) -> tuple[Purpose, ...]:
    flat: list[Purpose] = []
    for purpose in purposes:
        flat.append(purpose)
        flat.extend(_flatten_purposes(purpose.items))
    return tuple(flat)


def _email_domain(address: str) -> str | None:
    local, at, domain = address.strip().rpartition("@")
    domain = domain.rstrip(".").lower()
    if not at or not local or not domain:
        return None
    return domain


# --- loading ----------------------------------------------------------------------------------


def default_agreement_path() -> Path:
    return resource_path("agreement", "derby-derbyshire.json")


def load_agreement(path: Path | None = None) -> Agreement:
    """Load and check an agreement file; with `path` None, the agreement of the open vault
    (`activate`), else the shipped one (cached)."""
    if path is None:
        return _ACTIVE if _ACTIVE is not None else _load_default()
    return _load(Path(path))


# The agreement the open vault works under (issue 20): a vault keeps its agreement file whole, and
# opening it makes that file the one every service reads, so the whole app follows the partnership
# the vault was made for. None means the shipped agreement.
_ACTIVE: Agreement | None = None


def activate(agreement: Agreement | None) -> None:
    """Make `agreement` the one `load_agreement()` returns (None: the shipped one again)."""
    global _ACTIVE
    _ACTIVE = agreement


def active_agreement() -> Agreement | None:
    return _ACTIVE


def agreement_from_text(text: str, file_name: str) -> Agreement:
    """Check and load an agreement from its file's text (as a vault keeps it)."""
    try:
        document = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise AgreementError(
            file_name, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from exc
    try:
        return _parse_agreement(document, file_name)
    except _Invalid as exc:
        raise AgreementError(file_name, exc.field, exc.problem) from None


def read_agreement_file(path: Path | None = None) -> tuple[str, Agreement]:
    """The text of an agreement file (the shipped one when None) and the agreement it holds."""
    path = Path(path) if path is not None else default_agreement_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise AgreementError(path.name, "", f"cannot read the file ({reason})") from exc
    except UnicodeDecodeError as exc:
        raise AgreementError(path.name, "", "the file is not UTF-8 text") from exc
    return raw, agreement_from_text(raw, path.name)


def text_digest(text: str) -> str:
    """SHA-256 of an agreement file's bytes (UTF-8), in hex: what the register records."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _load_default() -> Agreement:
    return _load(default_agreement_path())


class _Invalid(Exception):
    """A problem at a field path; `_load` adds the file name and raises AgreementError."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


class _JsonObject(dict):
    """A parsed JSON object that remembers keys the file gives twice (json keeps the last)."""

    duplicate_keys: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    result = _JsonObject()
    duplicates = []
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    result.duplicate_keys = tuple(duplicates)
    return result


def _load(path: Path) -> Agreement:
    return read_agreement_file(path)[1]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


class _Obj:
    """One JSON object being read, with its field path, so every error can say where it is.

    Keys not in `required` or `optional` are refused rather than ignored: in legal reference
    data a misspelt key would otherwise silently drop the text it was meant to carry.
    """

    def __init__(
        self, value: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> None:
        if not isinstance(value, dict):
            raise _Invalid(path or "(top level)", f"expected an object, found {_json_type(value)}")
        required, optional = tuple(required), tuple(optional)
        allowed = set(required) | set(optional)
        duplicates = getattr(value, "duplicate_keys", ())
        if duplicates:
            raise _Invalid(self._join(path, duplicates[0]), "key is given twice")
        for key in value:
            if key not in allowed:
                raise _Invalid(
                    self._join(path, key),
                    f"unknown key {key!r} (allowed here: {', '.join(sorted(allowed))})",
                )
        for key in required:
            if key not in value:
                raise _Invalid(self._join(path, key), "missing required key")
        self.value = value
        self.path = path

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def at(self, key: str) -> str:
        return self._join(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.value

    def text(self, key: str, *, empty_ok: bool = False, default: str | None = None) -> str:
        if default is not None and key not in self.value:
            return default
        value = self.value[key]
        if not isinstance(value, str):
            raise _Invalid(self.at(key), f"expected text, found {_json_type(value)}")
        if not empty_ok and not value.strip():
            raise _Invalid(self.at(key), "must not be empty")
        return value

    def text_or_null(self, key: str) -> str | None:
        if self.value.get(key) is None:
            return None
        return self.text(key)

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        if default is not None and key not in self.value:
            return default
        value = self.value[key]
        if not isinstance(value, bool):
            raise _Invalid(self.at(key), f"expected true or false, found {_json_type(value)}")
        return value

    def positive_int(self, key: str) -> int:
        value = self.value[key]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise _Invalid(self.at(key), f"expected a positive whole number, found {value!r}")
        return value

    def matching(self, key: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.text(key)
        if not pattern.fullmatch(value):
            raise _Invalid(self.at(key), f"{what} {value!r} must match {pattern.pattern}")
        return value

    def obj(self, key: str, required: Iterable[str], optional: Iterable[str] = ()) -> _Obj:
        return _Obj(self.value[key], self.at(key), required, optional)

    def items(self, key: str, *, empty_ok: bool = False) -> list[tuple[Any, str]]:
        """The list at `key` as (element, element path) pairs."""
        value = self.value.get(key, []) if empty_ok else self.value[key]
        if not isinstance(value, list):
            raise _Invalid(self.at(key), f"expected a list, found {_json_type(value)}")
        if not value and not empty_ok:
            raise _Invalid(self.at(key), "must not be empty")
        return [(element, f"{self.at(key)}[{index}]") for index, element in enumerate(value)]

    def texts(self, key: str, *, empty_ok: bool = False) -> tuple[str, ...]:
        result = []
        for element, path in self.items(key, empty_ok=empty_ok):
            if not isinstance(element, str) or not element.strip():
                raise _Invalid(path, f"expected non-empty text, found {_json_type(element)}")
            result.append(element)
        return tuple(result)


def _parse_list(
    parent: _Obj, key: str, parse: Callable[[Any, str], _T], *, unique: str | None = "id",
    empty_ok: bool = False,
) -> tuple[_T, ...]:
    """Parse each element of a list; `unique` names the attribute that must not repeat."""
    parsed: list[_T] = []
    seen: set[str] = set()
    for element, path in parent.items(key, empty_ok=empty_ok):
        item = parse(element, path)
        if unique is not None:
            identity = getattr(item, unique)
            if identity in seen:
                raise _Invalid(f"{path}.{unique}", f"duplicate {unique} {identity!r}")
            seen.add(identity)
        parsed.append(item)
    return tuple(parsed)


def _ident(obj: _Obj) -> str:
    return obj.matching("id", ID_PATTERN, "id")


def _parse_agreement(document: Any, file_name: str) -> Agreement:
    top = _Obj(
        document,
        "",
        required=(
            "format", "agreement", "request_form", "partners", "lawful_bases", "purposes",
            "information_types", "exploitation_types", "request_reasons", "declaration",
            "four_p", "conditions_of_use", "confidentiality_statement", "secure_channels",
            "transfer_rules", "deadlines", "breach_categories",
        ),
        optional=("case_stages",),
    )
    if top.value["format"] != FORMAT:
        raise _Invalid("format", f"expected {FORMAT!r}, found {top.value['format']!r}")

    secure_channels = _parse_list(top, "secure_channels", _parse_channel)
    channel_ids = {channel.id for channel in secure_channels}
    partners = _parse_list(
        top, "partners", lambda v, p: _parse_partner(v, p, channel_ids), unique="code"
    )
    _check_one_lead(partners)

    info = _parse_info(top.obj("agreement", _INFO_KEYS, ("version", "date")))
    deadlines = _parse_deadlines(top.obj("deadlines", _DEADLINE_UNITS))
    if deadlines.review_months != info.review_period_months:
        raise _Invalid(
            "deadlines.review_months.value",
            f"{deadlines.review_months} does not match agreement.review_period_months "
            f"({info.review_period_months})",
        )

    purposes = _parse_purposes(top, "purposes", seen_ids=set())

    return Agreement(
        source=file_name,
        info=info,
        request_form=_parse_request_form(top.obj("request_form", _REQUEST_FORM_KEYS)),
        partners=partners,
        lawful_bases=_parse_list(top, "lawful_bases", _parse_lawful_basis),
        purposes=purposes,
        information_types=_parse_list(top, "information_types", _parse_information_type),
        exploitation_types=_parse_list(top, "exploitation_types", _parse_exploitation_type),
        request_reasons=_parse_list(top, "request_reasons", _parse_request_reason),
        declaration=_parse_declaration(top.obj("declaration", _DECLARATION_KEYS, ("successors",))),
        four_p=_parse_list(top, "four_p", _parse_four_p),
        conditions_of_use=_parse_list(
            top, "conditions_of_use", _parse_clause_text, unique="clause"
        ),
        confidentiality_statement=_parse_confidentiality(
            top.obj("confidentiality_statement", ("title", "clause", "intro", "paragraphs"))
        ),
        secure_channels=secure_channels,
        transfer_rules=_parse_list(top, "transfer_rules", _parse_transfer_rule),
        deadlines=deadlines,
        breach_categories=_parse_list(top, "breach_categories", _parse_breach_category),
        case_stages=_parse_case_stages(top) if top.has("case_stages") else DEFAULT_CASE_STAGES,
    )


_INFO_KEYS = (
    "title", "short_name", "review_period_months", "review_clause", "reference_prefix",
    "protective_marking",
)


def _parse_info(obj: _Obj) -> AgreementInfo:
    date_text = obj.text_or_null("date")
    date = None
    if date_text is not None:
        try:
            date = _dt.date.fromisoformat(date_text)
        except ValueError:
            raise _Invalid(obj.at("date"), f"expected a date as YYYY-MM-DD, found {date_text!r}") from None
    return AgreementInfo(
        title=obj.text("title"),
        short_name=obj.text("short_name"),
        version=obj.text_or_null("version"),
        date=date,
        review_period_months=obj.positive_int("review_period_months"),
        review_clause=obj.text("review_clause"),
        reference_prefix=obj.matching("reference_prefix", PREFIX_PATTERN, "reference prefix"),
        protective_marking=obj.text("protective_marking"),
    )


_REQUEST_FORM_KEYS = ("title", "operation", "partnership_working_prompt", "clause")


def _parse_request_form(obj: _Obj) -> RequestForm:
    return RequestForm(**{key: obj.text(key) for key in _REQUEST_FORM_KEYS})


def _parse_channel(value: Any, path: str) -> SecureChannel:
    obj = _Obj(
        value, path,
        required=("id", "name", "clause", "suffixes", "suitable_for", "available_to"),
        optional=("note",),
    )
    suffixes = obj.texts("suffixes", empty_ok=True)
    for index, suffix in enumerate(suffixes):
        where = f"{obj.at('suffixes')}[{index}]"
        if not suffix.startswith("@"):
            raise _Invalid(where, f"suffix {suffix!r} must start with '@'")
        if not SUFFIX_PATTERN.fullmatch(suffix):
            raise _Invalid(where, f"suffix {suffix!r} must be '@' and a domain, e.g. '@nhs.net'")
    return SecureChannel(
        id=_ident(obj),
        name=obj.text("name"),
        clause=obj.text("clause"),
        suffixes=suffixes,
        suitable_for=obj.text("suitable_for"),
        available_to=obj.text("available_to"),
        note=obj.text("note", default=""),
    )


def _parse_partner(value: Any, path: str, channel_ids: set[str]) -> Partner:
    obj = _Obj(
        value, path,
        required=(
            "code", "name", "clause", "section3", "lead", "sub_services", "secure_channels",
            "contacts",
        ),
    )
    channels = obj.texts("secure_channels", empty_ok=True)
    for index, channel in enumerate(channels):
        if channel not in channel_ids:
            raise _Invalid(
                f"{obj.at('secure_channels')}[{index}]",
                f"unknown secure channel {channel!r} (known: {', '.join(sorted(channel_ids))})",
            )
    return Partner(
        code=obj.matching("code", CODE_PATTERN, "code"),
        name=obj.text("name"),
        clause=obj.text("clause"),
        section3=obj.flag("section3"),
        lead=obj.flag("lead"),
        sub_services=_parse_list(obj, "sub_services", _parse_sub_service, unique="code",
                                 empty_ok=True),
        secure_channels=channels,
        contacts=_parse_list(obj, "contacts", _parse_contact, unique=None, empty_ok=True),
    )


def _parse_sub_service(value: Any, path: str) -> SubService:
    obj = _Obj(value, path, required=("code", "name", "clause"), optional=("spoc",))
    return SubService(
        code=obj.matching("code", CODE_PATTERN, "code"),
        name=obj.text("name"),
        clause=obj.text("clause"),
        spoc=obj.flag("spoc", default=False),
    )


def _parse_contact(value: Any, path: str) -> Contact:
    obj = _Obj(value, path, required=("team", "name", "email", "telephone"))
    email = obj.text("email", empty_ok=True).strip()
    if email and _email_domain(email) is None:
        raise _Invalid(obj.at("email"), f"{email!r} is not an e-mail address")
    return Contact(
        team=obj.text("team", empty_ok=True),
        name=obj.text("name", empty_ok=True),
        email=email,
        telephone=obj.text("telephone", empty_ok=True),
    )


def _check_one_lead(partners: tuple[Partner, ...]) -> None:
    leads = [index for index, partner in enumerate(partners) if partner.lead]
    if not leads:
        raise _Invalid("partners", 'no partner has "lead": true; exactly one partner must')
    if len(leads) > 1:
        first = partners[leads[0]].code
        raise _Invalid(
            f"partners[{leads[1]}].lead",
            f'{first!r} is already the lead partner; exactly one partner may have "lead": true',
        )


def _parse_lawful_basis(value: Any, path: str) -> LawfulBasis:
    obj = _Obj(
        value, path,
        required=("id", "title", "clause", "appendix3_text", "in_force", "current", "note"),
    )
    return LawfulBasis(
        id=_ident(obj),
        title=obj.text("title"),
        clause=obj.text("clause"),
        appendix3_text=obj.text("appendix3_text"),
        in_force=obj.flag("in_force"),
        current=obj.text("current"),
        note=obj.text("note"),
    )


def _parse_purposes(
    parent: _Obj, key: str, seen_ids: set[str], *, empty_ok: bool = False
) -> tuple[Purpose, ...]:
    # Sub-purposes share one id space with their parents, so a stored id names one purpose.
    purposes = []
    for element, path in parent.items(key, empty_ok=empty_ok):
        obj = _Obj(element, path, required=("id", "number", "text", "clause"), optional=("items",))
        purpose_id = _ident(obj)
        if purpose_id in seen_ids:
            raise _Invalid(obj.at("id"), f"duplicate id {purpose_id!r}")
        seen_ids.add(purpose_id)
        purposes.append(
            Purpose(
                id=purpose_id,
                number=obj.text("number"),
                text=obj.text("text"),
                clause=obj.text("clause"),
                items=_parse_purposes(obj, "items", seen_ids, empty_ok=True),
            )
        )
    return tuple(purposes)


def _parse_information_type(value: Any, path: str) -> InformationType:
    obj = _Obj(value, path, required=("id", "text", "clause"))
    return InformationType(id=_ident(obj), text=obj.text("text"), clause=obj.text("clause"))


def _parse_exploitation_type(value: Any, path: str) -> ExploitationType:
    obj = _Obj(value, path, required=("id", "name", "description", "clause"))
    return ExploitationType(
        id=_ident(obj),
        name=obj.text("name"),
        description=obj.text("description"),
        clause=obj.text("clause"),
    )


def _parse_request_reason(value: Any, path: str) -> RequestReason:
    obj = _Obj(value, path, required=("id", "text", "clause"))
    return RequestReason(id=_ident(obj), text=obj.text("text"), clause=obj.text("clause"))


_DECLARATION_KEYS = (
    "clause", "motto", "legal_preamble", "confirm_intro", "confirmations", "subject_warning",
    "onward_requests", "retain_line",
)


def _parse_declaration(obj: _Obj) -> Declaration:
    def confirmation(value: Any, path: str) -> Confirmation:
        item = _Obj(value, path, required=("id", "text"), optional=("plain",))
        return Confirmation(id=_ident(item), text=item.text("text"),
                            plain=item.text("plain", default="") if item.has("plain") else "")

    def successor(value: Any, path: str) -> Successor:
        item = _Obj(value, path, required=("old", "new"))
        return Successor(old=item.text("old"), new=item.text("new"))

    return Declaration(
        clause=obj.text("clause"),
        motto=obj.text("motto"),
        legal_preamble=obj.text("legal_preamble"),
        confirm_intro=obj.text("confirm_intro"),
        confirmations=_parse_list(obj, "confirmations", confirmation),
        subject_warning=obj.text("subject_warning"),
        onward_requests=obj.text("onward_requests"),
        retain_line=obj.text("retain_line"),
        successors=_parse_list(obj, "successors", successor, unique="old") if obj.has("successors") else (),
    )


def _parse_four_p(value: Any, path: str) -> FourP:
    obj = _Obj(value, path, required=("id", "name", "meaning", "clause"))
    return FourP(
        id=_ident(obj),
        name=obj.text("name"),
        meaning=obj.text("meaning"),
        clause=obj.text("clause"),
    )


def _parse_case_stage(value: Any, path: str) -> CaseStage:
    obj = _Obj(value, path, required=("id", "name", "meaning", "clause"))
    return CaseStage(id=_ident(obj), name=obj.text("name"), meaning=obj.text("meaning"), clause=obj.text("clause"))


def _parse_case_stages(top: _Obj) -> tuple[CaseStage, ...]:
    """The stages in the file's order. Their codes are the ones a vault records (its schema checks
    them), so the file names every one of them exactly once; names, meanings and order are its own."""
    from app.vault.migrations import CASE_STAGES

    stages = _parse_list(top, "case_stages", _parse_case_stage)
    codes = {s.id for s in stages}
    if codes != set(CASE_STAGES):
        missing, unknown = sorted(set(CASE_STAGES) - codes), sorted(codes - set(CASE_STAGES))
        raise _Invalid("case_stages", "must name each stage a vault records exactly once ("
                       + "; ".join(filter(None, (missing and f"missing {', '.join(missing)}",
                                                 unknown and f"unknown {', '.join(unknown)}"))) + ")")
    return stages


def _parse_clause_text(value: Any, path: str) -> ClauseText:
    obj = _Obj(value, path, required=("clause", "text"))
    return ClauseText(clause=obj.text("clause"), text=obj.text("text"))


def _parse_confidentiality(obj: _Obj) -> ConfidentialityStatement:
    def paragraph(value: Any, path: str) -> ConfidentialityParagraph:
        item = _Obj(value, path, required=("number", "text"), optional=("items",))
        return ConfidentialityParagraph(
            number=item.positive_int("number"),
            text=item.text("text"),
            items=item.texts("items", empty_ok=True),
        )

    return ConfidentialityStatement(
        title=obj.text("title"),
        clause=obj.text("clause"),
        intro=obj.text("intro"),
        paragraphs=_parse_list(obj, "paragraphs", paragraph, unique="number"),
    )


def _parse_transfer_rule(value: Any, path: str) -> TransferRule:
    obj = _Obj(value, path, required=("id", "clause", "text"))
    return TransferRule(id=_ident(obj), clause=obj.text("clause"), text=obj.text("text"))


# Each deadline's unit is fixed by its name, so "breach_dpm_hours" given in days is refused.
_DEADLINE_UNITS = {
    "breach_dpm_hours": "hours",
    "breach_ico_hours": "hours",
    "review_months": "months",
    "dispute_days": "days",
    "response_due_days": "days",
}


def _parse_deadlines(obj: _Obj) -> Deadlines:
    rules = []
    for name, unit in _DEADLINE_UNITS.items():
        item = obj.obj(name, ("value", "unit", "clause", "in_agreement"), ("text", "note", "counting"))
        if item.text("unit") != unit:
            raise _Invalid(item.at("unit"), f"expected {unit!r}, found {item.value['unit']!r}")
        counting = item.text("counting", default="calendar")
        if counting not in ("calendar", "working") or (counting == "working" and name != "dispute_days"):
            raise _Invalid(item.at("counting"), f"expected 'calendar' or 'working' (working days only for "
                                                f"dispute_days), found {counting!r}")
        in_agreement = item.flag("in_agreement")
        clause = item.text_or_null("clause")
        if in_agreement and clause is None:
            raise _Invalid(item.at("clause"), "a deadline from the agreement needs its clause")
        if not in_agreement and not item.has("note"):
            raise _Invalid(item.at("note"), "a deadline from outside the agreement needs a note "
                                             "saying where it comes from")
        rules.append(
            Deadline(
                name=name,
                value=item.positive_int("value"),
                unit=unit,
                clause=clause,
                in_agreement=in_agreement,
                text=item.text("text", default=""),
                note=item.text("note", default=""),
                counting=counting,
            )
        )
    values = {rule.name: rule.value for rule in rules}
    return Deadlines(**values, rules=tuple(rules))


def _parse_breach_category(value: Any, path: str) -> BreachCategory:
    obj = _Obj(
        value, path, required=("id", "name", "clause", "text"),
        optional=("needs_alternative_exchange",),
    )
    return BreachCategory(
        id=_ident(obj),
        name=obj.text("name"),
        clause=obj.text("clause"),
        text=obj.text("text"),
        needs_alternative_exchange=obj.flag("needs_alternative_exchange", default=False),
    )
