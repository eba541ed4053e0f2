"""Rows of the vault <-> JSON objects of the exchange format: the columns each record kind
carries and the one encoder for them (also used by the demo and the benchmarks)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from app.records import dumps, loads

Progress = Callable[[int, int], None]  # (done, total)

FORMAT = "spocdesk/1"
SCHEMA_FILE = ("schema", "spocdesk-1.schema.json")

STAMPS = ("created_at", "created_by", "updated_at", "updated_by")
REQUEST_COLS = ("id", "origin_agency", "reference", "status", "request_date", "requester_name", "requester_rank",
                "requester_number", "requester_team", "requester_contact", "reasons", "information_date",
                "information", "check_request", "partnership_question", "exploitation_types", "purposes",
                "info_types", "declaration", "declared_at", "declared_by", *STAMPS, "retention_rule",
                "last_reviewed_at")
SUBJECT_COLS = ("id", "origin_agency", "kind", "name", "aliases", "date_of_birth", "addresses", "identifiers",
                "description", *STAMPS, "retention_rule", "last_reviewed_at")
DISPATCH_COLS = ("id", "request_id", "agency", "sub_service", "status", "sent_at", "due_date", "acknowledged_at",
                 "closed_at", "decline_reason", *STAMPS)
RESPONSE_COLS = ("id", "dispatch_id", "origin_agency", "kind", "status", "responder_name", "responder_role",
                 "responder_contact", "response_date", "held_text", "disclosed_text", "info_types", "lawful_bases",
                 "necessary", "proportionate", "accurate", "partnership_answer", "decline_reason",
                 "conditions_of_use", "sent_at", "received_at", *STAMPS)
DISCLOSURE_COLS = ("id", "kind", "direction", "from_agency", "to_agency", "at", "request_id", "response_id",
                   "subject_ids", "what", "lawful_bases", "channel", "originator", "recorded_by", "recorded_at",
                   "items", "consent_grants")
CONTACT_COLS = ("id", "partner", "sub_service", "team", "name", "role", "email", "telephone", "channel", "active",
                *STAMPS)
SUSPENSION_COLS = ("id", "partner", "from_at", "reason", "suspended_by", "lifted_at", "lifted_by", "lifted_reason")
BREACH_COLS = ("id", "origin_agency", "reference", "reporter", "agency", "category", "occurred_at", "aware_at", "facts",
               "request_ids", "subject_ids", "disclosure_ids", "data_categories", "people_count", "records_count",
               "consequences", "containment", "remedial", "created_at", "created_by")
BREACH_UPDATE_COLS = ("id", "breach_id", "kind", "at", "details", "recorded_at", "recorded_by")
MEETING_COLS = ("id", "origin_agency", "reference", "held_at", "place", "chair", "chair_agency", "status", "notes",
                *STAMPS)
ATTENDEE_COLS = ("id", "meeting_id", "name", "role_title", "agency", "accepted_at", "accepted_recorded_by",
                 "accepted_recorded_at", "created_at", "created_by")
AGENDA_COLS = ("id", "meeting_id", "position", "kind", "request_id", "title", "notes", "created_at", "created_by",
               "case_id")
DECISION_COLS = ("id", "meeting_id", "agenda_item_id", "text", "recorded_at", "recorded_by")
ACTION_COLS = ("id", "meeting_id", "agenda_item_id", "category", "text", "owner_agency", "due_date", "status",
               *STAMPS)
ACTION_UPDATE_COLS = ("id", "action_id", "status", "note", "at", "recorded_by")
PERMISSION_COLS = ("id", "meeting_id", "agenda_item_id", "requested_by", "requested_by_agency", "to_agency", "what",
                   "reason", "granted", "decided_by", "decided_at", "disclosure_id", "recorded_at", "recorded_by")
# A meeting's parts in the file: (key in the meeting object, table, columns, ORDER BY of the table).
MEETING_PARTS = (("attendees", "meeting_attendees", ATTENDEE_COLS, "seq"),
                 ("agenda", "meeting_agenda_items", AGENDA_COLS, "position, seq"),
                 ("decisions", "meeting_decisions", DECISION_COLS, "seq"),
                 ("actions", "meeting_actions", ACTION_COLS, "seq"),
                 ("permissions", "meeting_permissions", PERMISSION_COLS, "seq"))
# Cases (issue 21), whole-vault files only: a case with its stage history, linked requests and
# referrals; links between subjects as their own list. A case's parts: (key, table, columns, order).
CASE_COLS = ("id", "origin_agency", "reference", "title", "source", "source_detail", "received_on",
             "exploitation_types", "lead_agency", "stage", "status", "internal_notes", "lessons", *STAMPS,
             "retention_rule", "last_reviewed_at")
CASE_STAGE_COLS = ("id", "case_id", "from_stage", "to_stage", "reason", "at", "recorded_by")
CASE_REQUEST_COLS = ("case_id", "request_id", "linked_at", "linked_by")
CASE_REFERRAL_COLS = ("id", "case_id", "kind", "subject_id", "referred_on", "referred_by", "first_responder", "consent",
                      "external_ref", "rg_decision", "rg_on", "cg_decision", "cg_on", "outcome", "outcome_on", "notes",
                      *STAMPS)
CASE_PARTS = (("stages", "case_stage_changes", CASE_STAGE_COLS, "seq"),
              ("requests", "case_requests", CASE_REQUEST_COLS, "rowid"),
              ("referrals", "case_referrals", CASE_REFERRAL_COLS, "seq"))
SUBJECT_LINK_COLS = ("id", "origin_agency", "from_subject", "to_subject", "vehicle", "kind", "valid_from", "valid_to",
                     "confidence", "source_kind", "source_id", "originator", "case_id", "notes", "created_at",
                     "created_by")
# Retention and information rights (issue 19), whole-vault files only: the DPM's retention
# decisions and events, the disposal certificates, and each subject access or FOI request with its
# history and its items to decide. An information request's parts: (key, table, columns, order).
RETENTION_EVENT_COLS = ("id", "record_type", "record_id", "event", "on_date", "recorded_by", "recorded_at")
RETENTION_DECISION_COLS = ("id", "record_type", "record_id", "decision", "until_date", "reason_code", "reason",
                           "decided_by", "decided_at")
DISPOSAL_COLS = ("id", "reference", "disposed_at", "approved_by", "items", "head_seq", "head_mac")
INFO_REQUEST_COLS = ("id", "origin_agency", "reference", "kind", "received_on", "requester_name", "requester_contact",
                     "about", "subject_ids", "asks_for_request_form", "created_at", "created_by")
INFO_EVENT_COLS = ("id", "info_request_id", "kind", "on_date", "details", "recorded_by", "recorded_at")
INFO_ITEM_COLS = ("id", "info_request_id", "item_type", "item_id", "label", "origin_agency", "decision", "exemption",
                  "redact_third_parties", "note", "decided_by", "decided_at", "consulted_on", "consulted_via",
                  "consulted_who", "consult_answer")
SAR_CONSULTATION_COLS = ("id", "direction", "partner", "info_request_id", "item_row_id", "sar_reference", "sar_kind",
                         "due_on", "item_type", "item_id", "item_label", "question", "asked_at", "asked_by",
                         "ask_package_id", "answer", "exemption", "reason", "answered_at", "answered_by",
                         "answer_package_id")
INFO_REQUEST_PARTS = (("events", "info_request_events", INFO_EVENT_COLS, "seq"),
                      ("items", "info_request_items", INFO_ITEM_COLS, "seq"))
JSON_COLS = {"items", "reasons", "exploitation_types", "purposes", "info_types", "declaration", "aliases", "addresses",
             "identifiers", "lawful_bases", "conditions_of_use", "subject_ids", "request_ids", "disclosure_ids",
             "details", "consent_grants"}
BOOL_COLS = {"active", "granted", "asks_for_request_form", "redact_third_parties"}
# Consent (sections 6.2, 6.3, 7.3; migration 12), whole-vault files only.
CONSENT_REQUEST_COLS = ("id", "reference", "direction", "asking_agency", "originator", "recipient", "purpose", "items",
                        "reason", "needed_by", "request_id", "package_id", "file_name", "asked_by", "asked_at",
                        "recorded_at")
CONSENT_ANSWER_COLS = ("id", "consent_request_id", "direction", "decision", "originator", "signer_fingerprint", "items",
                       "recipient", "purpose", "until", "conditions", "reason", "withdraws", "package_id", "file_name",
                       "decided_by", "decided_at", "recorded_at")


def to_json(row, cols) -> dict:
    out = {}
    for col in cols:
        value = row[col]
        if col in JSON_COLS:
            value = loads(value)
        elif col in BOOL_COLS:
            value = bool(value)
        out[col] = value
    return out


@lru_cache(maxsize=None)
def _encoded(cols: tuple) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """Where `cols` has its JSON columns (place, name) and its yes/no columns (place)."""
    return (tuple((n, col) for n, col in enumerate(cols) if col in JSON_COLS),
            tuple(n for n, col in enumerate(cols) if col in BOOL_COLS and col not in JSON_COLS))


def to_params(obj: dict, cols) -> tuple:
    """The row's values for `insert_sql(table, cols)`: JSON columns as text (an absent one as its
    empty value), yes/no columns as 1 or 0. (Called for every row an import writes: the columns'
    kinds are looked up once per column list.)"""
    get = obj.get
    values = [get(col) for col in cols]
    json_cols, bool_cols = _encoded(tuple(cols))
    for n, col in json_cols:
        value = values[n]
        values[n] = dumps(value if value is not None else ({} if col == "details" else []))
    for n in bool_cols:
        values[n] = 1 if values[n] else 0
    return tuple(values)


def insert_sql(table: str, cols, *, upsert: bool = False) -> str:
    # Table and column names are this module's constants, never input.
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    if upsert:
        sql += " ON CONFLICT(id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
    return sql


# ---- export ---------------------------------------------------------------------------------