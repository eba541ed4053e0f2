"""Numbered schema migrations on `PRAGMA user_version` (Vorta's habit).

Each step runs in one transaction together with its `user_version` bump, so a crash leaves the
vault at the step before or the step after. Append new steps; never edit a released one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from app.errors import InvalidInput
from app.vault.connection import Database


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[Database], None]


def _v1_core(db: Database) -> None:
    for statement in (
        """CREATE TABLE meta (
               key   TEXT PRIMARY KEY,
               value TEXT NOT NULL
           )""",
        """CREATE TABLE users (
               id          TEXT PRIMARY KEY,
               name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
               role        TEXT NOT NULL CHECK (role IN ('admin','spoc','dpm','chair','auditor')),
               agency      TEXT NOT NULL,
               active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
               created_at  TEXT NOT NULL,
               created_by  TEXT,
               disabled_at TEXT,
               disabled_by TEXT,
               passphrase_changed_at TEXT
           )""",
        # Append-only: the triggers refuse UPDATE and DELETE; the HMAC chain detects anyone who
        # drops the triggers and rewrites history anyway.
        """CREATE TABLE audit_events (
               seq         INTEGER PRIMARY KEY,
               at          TEXT NOT NULL,
               actor       TEXT NOT NULL,
               action      TEXT NOT NULL,
               record_type TEXT,
               record_id   TEXT,
               reason      TEXT,
               mac         TEXT NOT NULL
           )""",
        """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER audit_events_in_order BEFORE INSERT ON audit_events
           WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_events)
           BEGIN SELECT RAISE(ABORT, 'audit events are appended in order'); END""",
        "CREATE INDEX audit_events_record ON audit_events(record_type, record_id)",
    ):
        db.execute(statement)


def _v2_policy(db: Database) -> None:
    # Vault-wide policy set by the admin; values are JSON text.
    db.execute(
        """CREATE TABLE policy (
               key        TEXT PRIMARY KEY,
               value      TEXT NOT NULL,
               changed_at TEXT NOT NULL,
               changed_by TEXT NOT NULL
           )"""
    )


def _v3_drafts(db: Database) -> None:
    # Unsaved form input kept across a lock: inside the encrypted vault, never on disk in clear.
    db.execute(
        """CREATE TABLE drafts (
               user_id    TEXT NOT NULL REFERENCES users(id),
               form       TEXT NOT NULL,
               record_key TEXT NOT NULL DEFAULT '',
               payload    TEXT NOT NULL,
               saved_at   TEXT NOT NULL,
               PRIMARY KEY (user_id, form, record_key)
           )"""
    )


def _v4_requests(db: Database) -> None:
    # Issue 4: Appendix 2 requests, subjects, one dispatch per agency asked, responses, the
    # disclosure register, this desk's partner contacts, partner suspensions (13.2), and the
    # full-text index. Records that travel between desks have a global UUID (`id`) and the code
    # of the desk that created them (`origin_agency`); `seq` is a local integer key used for
    # keyset paging and as the rowid of the external-content FTS5 tables (kept in step by
    # triggers, so bulk imports and the demo stay indexed). Lists of codes are JSON arrays.
    for statement in (
        """CREATE TABLE reference_counters (
               agency TEXT NOT NULL,
               year   INTEGER NOT NULL,
               last   INTEGER NOT NULL,
               PRIMARY KEY (agency, year)
           )""",
        """CREATE TABLE requests (
               seq                  INTEGER PRIMARY KEY,
               id                   TEXT NOT NULL UNIQUE,
               origin_agency        TEXT NOT NULL,
               reference            TEXT NOT NULL,
               status               TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','open','closed')),
               request_date         TEXT NOT NULL,
               requester_name       TEXT NOT NULL,
               requester_rank       TEXT NOT NULL DEFAULT '',
               requester_number     TEXT NOT NULL DEFAULT '',
               requester_team       TEXT NOT NULL DEFAULT '',
               requester_contact    TEXT NOT NULL DEFAULT '',
               reasons              TEXT NOT NULL DEFAULT '[]',
               information_date     TEXT,
               information          TEXT NOT NULL DEFAULT '',
               check_request        TEXT NOT NULL DEFAULT '',
               partnership_question TEXT NOT NULL DEFAULT '',
               exploitation_types   TEXT NOT NULL DEFAULT '[]',
               purposes             TEXT NOT NULL DEFAULT '[]',
               info_types           TEXT NOT NULL DEFAULT '[]',
               declaration          TEXT NOT NULL DEFAULT '[]',
               declared_at          TEXT,
               declared_by          TEXT,
               created_at           TEXT NOT NULL,
               created_by           TEXT NOT NULL,
               updated_at           TEXT NOT NULL,
               updated_by           TEXT NOT NULL,
               retention_rule       TEXT NOT NULL DEFAULT 'case-papers',
               last_reviewed_at     TEXT,
               UNIQUE (origin_agency, reference)
           )""",
        "CREATE INDEX requests_status ON requests(status, seq)",
        """CREATE TABLE subjects (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               origin_agency TEXT NOT NULL,
               kind          TEXT NOT NULL CHECK (kind IN ('person','location','business')),
               name          TEXT NOT NULL,
               aliases       TEXT NOT NULL DEFAULT '[]',
               date_of_birth TEXT,
               addresses     TEXT NOT NULL DEFAULT '[]',
               identifiers   TEXT NOT NULL DEFAULT '[]',
               description   TEXT NOT NULL DEFAULT '',
               created_at    TEXT NOT NULL,
               created_by    TEXT NOT NULL,
               updated_at    TEXT NOT NULL,
               updated_by    TEXT NOT NULL,
               retention_rule   TEXT NOT NULL DEFAULT 'case-papers',
               last_reviewed_at TEXT
           )""",
        """CREATE TABLE request_subjects (
               request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
               subject_id TEXT NOT NULL REFERENCES subjects(id),
               role       TEXT NOT NULL CHECK (role IN ('potential-victim','suspected-perpetrator','associate','unknown')),
               position   INTEGER NOT NULL DEFAULT 0,
               PRIMARY KEY (request_id, subject_id)
           )""",
        "CREATE INDEX request_subjects_subject ON request_subjects(subject_id)",
        """CREATE TABLE dispatches (
               seq             INTEGER PRIMARY KEY,
               id              TEXT NOT NULL UNIQUE,
               request_id      TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
               agency          TEXT NOT NULL,
               sub_service     TEXT NOT NULL DEFAULT '',
               status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN
                                   ('draft','sent','acknowledged','responded','nil-return','declined')),
               sent_at         TEXT,
               due_date        TEXT,
               acknowledged_at TEXT,
               closed_at       TEXT,
               decline_reason  TEXT,
               created_at      TEXT NOT NULL,
               created_by      TEXT NOT NULL,
               updated_at      TEXT NOT NULL,
               updated_by      TEXT NOT NULL,
               UNIQUE (request_id, agency, sub_service)
           )""",
        "CREATE INDEX dispatches_due ON dispatches(status, due_date)",
        """CREATE TABLE responses (
               seq                 INTEGER PRIMARY KEY,
               id                  TEXT NOT NULL UNIQUE,
               dispatch_id         TEXT NOT NULL REFERENCES dispatches(id) ON DELETE CASCADE,
               origin_agency       TEXT NOT NULL,
               kind                TEXT NOT NULL CHECK (kind IN ('disclosure','nil-return','declined')),
               status              TEXT NOT NULL CHECK (status IN ('draft','sent','received')),
               responder_name      TEXT NOT NULL,
               responder_role      TEXT NOT NULL DEFAULT '',
               responder_contact   TEXT NOT NULL DEFAULT '',
               response_date       TEXT NOT NULL,
               held_text           TEXT NOT NULL DEFAULT '',
               disclosed_text      TEXT NOT NULL DEFAULT '',
               info_types          TEXT NOT NULL DEFAULT '[]',
               lawful_bases        TEXT NOT NULL DEFAULT '[]',
               necessary           TEXT NOT NULL DEFAULT '',
               proportionate       TEXT NOT NULL DEFAULT '',
               accurate            TEXT NOT NULL DEFAULT '',
               partnership_answer  TEXT NOT NULL DEFAULT '',
               decline_reason      TEXT NOT NULL DEFAULT '',
               conditions_of_use   TEXT NOT NULL DEFAULT '[]',
               sent_at             TEXT,
               received_at         TEXT,
               created_at          TEXT NOT NULL,
               created_by          TEXT NOT NULL,
               updated_at          TEXT NOT NULL,
               updated_by          TEXT NOT NULL
           )""",
        "CREATE INDEX responses_dispatch ON responses(dispatch_id)",
        """CREATE TABLE disclosures (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               kind           TEXT NOT NULL CHECK (kind IN ('request','response','onward','export')),
               direction      TEXT NOT NULL CHECK (direction IN ('sent','received')),
               from_agency    TEXT NOT NULL,
               to_agency      TEXT NOT NULL,
               at             TEXT NOT NULL,
               request_id     TEXT,
               response_id    TEXT,
               subject_ids    TEXT NOT NULL DEFAULT '[]',
               what           TEXT NOT NULL DEFAULT '',
               lawful_bases   TEXT NOT NULL DEFAULT '[]',
               channel        TEXT NOT NULL DEFAULT '',
               originator     TEXT NOT NULL,
               recorded_by    TEXT NOT NULL,
               recorded_at    TEXT NOT NULL
           )""",
        "CREATE INDEX disclosures_request ON disclosures(request_id)",
        """CREATE TABLE contacts (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               partner     TEXT NOT NULL,
               sub_service TEXT NOT NULL DEFAULT '',
               team        TEXT NOT NULL DEFAULT '',
               name        TEXT NOT NULL,
               role        TEXT NOT NULL DEFAULT '',
               email       TEXT NOT NULL DEFAULT '',
               telephone   TEXT NOT NULL DEFAULT '',
               channel     TEXT NOT NULL DEFAULT '',
               active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
               created_at  TEXT NOT NULL,
               created_by  TEXT NOT NULL,
               updated_at  TEXT NOT NULL,
               updated_by  TEXT NOT NULL
           )""",
        "CREATE INDEX contacts_partner ON contacts(partner, sub_service)",
        """CREATE TABLE partner_suspensions (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               partner       TEXT NOT NULL,
               from_at       TEXT NOT NULL,
               reason        TEXT NOT NULL,
               suspended_by  TEXT NOT NULL,
               lifted_at     TEXT,
               lifted_by     TEXT,
               lifted_reason TEXT
           )""",
        "CREATE INDEX partner_suspensions_partner ON partner_suspensions(partner, lifted_at)",
    ):
        db.execute(statement)
    for table, columns in FTS_TABLES.items():
        cols = ", ".join(columns)
        # Table and column names are our own constants, never user input.
        db.execute(
            f"CREATE VIRTUAL TABLE {table}_fts USING fts5({cols}, content='{table}', "
            f"content_rowid='seq', tokenize='unicode61 remove_diacritics 2')"
        )
        for statement in fts_trigger_statements(table):
            db.execute(statement)


# The full-text index of schema 4: external-content FTS5 tables over these columns.
FTS_TABLES: dict[str, tuple[str, ...]] = {
    "requests": ("reference", "information", "check_request", "partnership_question"),
    "subjects": ("name", "aliases", "addresses", "identifiers", "description"),
    "responses": ("held_text", "disclosed_text", "partnership_answer", "decline_reason"),
}


def fts_trigger_statements(table: str) -> list[str]:
    """The triggers that keep `{table}_fts` in step (bulk loaders drop them, then rebuild)."""
    columns = FTS_TABLES[table]
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.seq, {new}); END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old}); END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old}); "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.seq, {new}); END",
    ]


BREACH_UPDATE_KINDS = ("dpm-notified", "controller-informed", "risk-assessed", "ico-decision", "ico-notified",
                       "subjects-told", "partners-notified", "review", "alternative-exchange",
                       "suspension-recommended", "suspension-decided", "suspension-lifted", "note", "closed",
                       "reopened")


def _v5_breaches(db: Database) -> None:
    # Issue 6: the breach log (clause 10, UK GDPR Art 33(5)). A breach and its updates are
    # append-only, like the audit trail: the triggers refuse UPDATE and DELETE, and the current
    # state of a breach is derived from its updates. Times are UTC ISO 8601; lists are JSON.
    kinds = ", ".join(f"'{k}'" for k in BREACH_UPDATE_KINDS)  # our own constants
    for statement in (
        """CREATE TABLE breaches (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               origin_agency  TEXT NOT NULL,
               reference      TEXT NOT NULL,
               reporter       TEXT NOT NULL,
               agency         TEXT NOT NULL,
               category       TEXT NOT NULL,
               occurred_at    TEXT,
               aware_at       TEXT NOT NULL,
               facts          TEXT NOT NULL,
               request_ids    TEXT NOT NULL DEFAULT '[]',
               subject_ids    TEXT NOT NULL DEFAULT '[]',
               disclosure_ids TEXT NOT NULL DEFAULT '[]',
               data_categories TEXT NOT NULL DEFAULT '',
               people_count   INTEGER,
               records_count  INTEGER,
               consequences   TEXT NOT NULL DEFAULT '',
               containment    TEXT NOT NULL DEFAULT '',
               remedial       TEXT NOT NULL DEFAULT '',
               created_at     TEXT NOT NULL,
               created_by     TEXT NOT NULL,
               UNIQUE (origin_agency, reference)
           )""",
        """CREATE TRIGGER breaches_no_update BEFORE UPDATE ON breaches
           BEGIN SELECT RAISE(ABORT, 'breaches are append-only'); END""",
        """CREATE TRIGGER breaches_no_delete BEFORE DELETE ON breaches
           BEGIN SELECT RAISE(ABORT, 'breaches are append-only'); END""",
        f"""CREATE TABLE breach_updates (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               breach_id   TEXT NOT NULL REFERENCES breaches(id),
               kind        TEXT NOT NULL CHECK (kind IN ({kinds})),
               at          TEXT NOT NULL,
               details     TEXT NOT NULL DEFAULT '{{}}',
               recorded_at TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        "CREATE INDEX breach_updates_breach ON breach_updates(breach_id, seq)",
        """CREATE TRIGGER breach_updates_no_update BEFORE UPDATE ON breach_updates
           BEGIN SELECT RAISE(ABORT, 'breach updates are append-only'); END""",
        """CREATE TRIGGER breach_updates_no_delete BEFORE DELETE ON breach_updates
           BEGIN SELECT RAISE(ABORT, 'breach updates are append-only'); END""",
    ):
        db.execute(statement)


MEETING_STATUSES = ("planned", "held", "closed")
ACTION_STATUSES = ("open", "done", "cancelled")
DISCLOSURE_KINDS_V6 = ("request", "response", "onward", "export", "meeting")


def _v6_meetings(db: Database) -> None:
    # Issue 5 part 3: tactical meetings (2.7, Appendix 1, Appendix 2a). A meeting with its
    # attendees (each one's acceptance of the Appendix 1 confidentiality statement), agenda items
    # (a linked request or a case), decisions, 4P actions with an append-only status history, and
    # the chair's decisions on further disclosure (Appendix 1 para 4). The disclosure register
    # gains the kind 'meeting' for a granted permission: SQLite cannot change a CHECK, so the
    # table is rebuilt with the same columns, rows and index.
    statuses = ", ".join(f"'{s}'" for s in MEETING_STATUSES)  # our own constants
    action_statuses = ", ".join(f"'{s}'" for s in ACTION_STATUSES)
    kinds = ", ".join(f"'{k}'" for k in DISCLOSURE_KINDS_V6)
    for statement in (
        f"""CREATE TABLE meetings (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               origin_agency TEXT NOT NULL,
               reference     TEXT NOT NULL,
               held_at       TEXT NOT NULL,
               place         TEXT NOT NULL,
               chair         TEXT NOT NULL,
               chair_agency  TEXT NOT NULL,
               status        TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ({statuses})),
               notes         TEXT NOT NULL DEFAULT '',
               created_at    TEXT NOT NULL,
               created_by    TEXT NOT NULL,
               updated_at    TEXT NOT NULL,
               updated_by    TEXT NOT NULL,
               UNIQUE (origin_agency, reference)
           )""",
        "CREATE INDEX meetings_held ON meetings(held_at)",
        """CREATE TABLE meeting_attendees (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               meeting_id  TEXT NOT NULL REFERENCES meetings(id),
               name        TEXT NOT NULL,
               role_title  TEXT NOT NULL DEFAULT '',
               agency      TEXT NOT NULL,
               accepted_at TEXT,
               accepted_recorded_by TEXT,
               accepted_recorded_at TEXT,
               created_at  TEXT NOT NULL,
               created_by  TEXT NOT NULL
           )""",
        "CREATE INDEX meeting_attendees_meeting ON meeting_attendees(meeting_id, seq)",
        """CREATE TABLE meeting_agenda_items (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               meeting_id  TEXT NOT NULL REFERENCES meetings(id),
               position    INTEGER NOT NULL,
               kind        TEXT NOT NULL CHECK (kind IN ('request','case')),
               request_id  TEXT REFERENCES requests(id),
               title       TEXT NOT NULL DEFAULT '',
               notes       TEXT NOT NULL DEFAULT '',
               created_at  TEXT NOT NULL,
               created_by  TEXT NOT NULL,
               CHECK ((kind = 'request') = (request_id IS NOT NULL))
           )""",
        "CREATE INDEX meeting_agenda_meeting ON meeting_agenda_items(meeting_id, position)",
        """CREATE TABLE meeting_decisions (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               meeting_id     TEXT NOT NULL REFERENCES meetings(id),
               agenda_item_id TEXT REFERENCES meeting_agenda_items(id),
               text           TEXT NOT NULL,
               recorded_at    TEXT NOT NULL,
               recorded_by    TEXT NOT NULL
           )""",
        "CREATE INDEX meeting_decisions_meeting ON meeting_decisions(meeting_id, seq)",
        f"""CREATE TABLE meeting_actions (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               meeting_id     TEXT NOT NULL REFERENCES meetings(id),
               agenda_item_id TEXT REFERENCES meeting_agenda_items(id),
               category       TEXT NOT NULL,
               text           TEXT NOT NULL,
               owner_agency   TEXT NOT NULL,
               due_date       TEXT NOT NULL,
               status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ({action_statuses})),
               created_at     TEXT NOT NULL,
               created_by     TEXT NOT NULL,
               updated_at     TEXT NOT NULL,
               updated_by     TEXT NOT NULL
           )""",
        "CREATE INDEX meeting_actions_meeting ON meeting_actions(meeting_id, seq)",
        "CREATE INDEX meeting_actions_status ON meeting_actions(status, due_date)",
        f"""CREATE TABLE meeting_action_updates (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               action_id   TEXT NOT NULL REFERENCES meeting_actions(id),
               status      TEXT NOT NULL CHECK (status IN ({action_statuses})),
               note        TEXT NOT NULL DEFAULT '',
               at          TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        "CREATE INDEX meeting_action_updates_action ON meeting_action_updates(action_id, seq)",
        """CREATE TRIGGER meeting_action_updates_no_update BEFORE UPDATE ON meeting_action_updates
           BEGIN SELECT RAISE(ABORT, 'action updates are append-only'); END""",
        """CREATE TRIGGER meeting_action_updates_no_delete BEFORE DELETE ON meeting_action_updates
           BEGIN SELECT RAISE(ABORT, 'action updates are append-only'); END""",
        """CREATE TABLE meeting_permissions (
               seq                 INTEGER PRIMARY KEY,
               id                  TEXT NOT NULL UNIQUE,
               meeting_id          TEXT NOT NULL REFERENCES meetings(id),
               agenda_item_id      TEXT REFERENCES meeting_agenda_items(id),
               requested_by        TEXT NOT NULL,
               requested_by_agency TEXT NOT NULL,
               to_agency           TEXT NOT NULL,
               what                TEXT NOT NULL,
               reason              TEXT NOT NULL,
               granted             INTEGER NOT NULL CHECK (granted IN (0, 1)),
               decided_by          TEXT NOT NULL,
               decided_at          TEXT NOT NULL,
               disclosure_id       TEXT,
               recorded_at         TEXT NOT NULL,
               recorded_by         TEXT NOT NULL
           )""",
        "CREATE INDEX meeting_permissions_meeting ON meeting_permissions(meeting_id, seq)",
        """CREATE TRIGGER meeting_permissions_no_update BEFORE UPDATE ON meeting_permissions
           BEGIN SELECT RAISE(ABORT, 'permission decisions are append-only'); END""",
        """CREATE TRIGGER meeting_permissions_no_delete BEFORE DELETE ON meeting_permissions
           BEGIN SELECT RAISE(ABORT, 'permission decisions are append-only'); END""",
        # The disclosure register, rebuilt to allow kind 'meeting' (same columns, rows and index).
        f"""CREATE TABLE disclosures_v6 (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               kind           TEXT NOT NULL CHECK (kind IN ({kinds})),
               direction      TEXT NOT NULL CHECK (direction IN ('sent','received')),
               from_agency    TEXT NOT NULL,
               to_agency      TEXT NOT NULL,
               at             TEXT NOT NULL,
               request_id     TEXT,
               response_id    TEXT,
               subject_ids    TEXT NOT NULL DEFAULT '[]',
               what           TEXT NOT NULL DEFAULT '',
               lawful_bases   TEXT NOT NULL DEFAULT '[]',
               channel        TEXT NOT NULL DEFAULT '',
               originator     TEXT NOT NULL,
               recorded_by    TEXT NOT NULL,
               recorded_at    TEXT NOT NULL
           )""",
        "INSERT INTO disclosures_v6 SELECT seq, id, kind, direction, from_agency, to_agency, at, request_id,"
        " response_id, subject_ids, what, lawful_bases, channel, originator, recorded_by, recorded_at FROM disclosures",
        "DROP TABLE disclosures",
        "ALTER TABLE disclosures_v6 RENAME TO disclosures",
        "CREATE INDEX disclosures_request ON disclosures(request_id)",
    ):
        db.execute(statement)


def _v7_list_counts(db: Database) -> None:
    # The requests list counts each request's dispatches by status and due date; with this index
    # the counts are read from the index alone instead of a table row per dispatch (at 100,000
    # requests the rows no longer fit the page cache, and scrolling to the end took seconds).
    db.execute("CREATE INDEX dispatches_request_status ON dispatches(request_id, status, due_date)")
    # The list's own columns, so paging reads a small index rather than every request's free text.
    db.execute("CREATE INDEX requests_list ON requests(seq, id, reference, origin_agency, status, request_date,"
               " requester_name)")


def _v8_desk_keys(db: Database) -> None:
    # Issue 15: this desk's keys (Ed25519 signing, age X25519 encryption), kept only inside the
    # encrypted vault and carried by backups; a vault made before this step gets its keys here.
    # Partner desks trusted after the telephone check of 9.5; packages made and received (with
    # the audit heads partners' packages carried, for the joint audit); the telephone log; and
    # the honest states of a dispatch (package made, delivered).
    from app.exchange.keys import new_key_row

    for statement in (
        """CREATE TABLE desk_keys (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               version       INTEGER NOT NULL,
               signing_key   BLOB NOT NULL,
               age_identity  TEXT NOT NULL,
               created_at    TEXT NOT NULL,
               retired_at    TEXT,
               card          TEXT
           )""",
        """CREATE TABLE partner_desks (
               seq             INTEGER PRIMARY KEY,
               id              TEXT NOT NULL UNIQUE,
               agency          TEXT NOT NULL,
               vault_id        TEXT NOT NULL,
               signing_key     TEXT NOT NULL,
               age_recipient   TEXT NOT NULL,
               fingerprint     TEXT NOT NULL,
               card            TEXT NOT NULL,
               card_version    INTEGER NOT NULL,
               checked_by      TEXT NOT NULL,
               via_number      TEXT NOT NULL,
               checked_at      TEXT NOT NULL,
               checked_by_user TEXT NOT NULL,
               trusted_how     TEXT NOT NULL CHECK (trusted_how IN ('telephone','rotation')),
               revoked_at      TEXT,
               revoked_by      TEXT,
               revoke_reason   TEXT,
               superseded_at   TEXT,
               superseded_by   TEXT
           )""",
        "CREATE INDEX partner_desks_agency ON partner_desks(agency)",
        "CREATE UNIQUE INDEX partner_desks_fingerprint ON partner_desks(fingerprint)",
        """CREATE TABLE packages (
               seq             INTEGER PRIMARY KEY,
               package_id      TEXT NOT NULL UNIQUE,
               direction       TEXT NOT NULL CHECK (direction IN ('made','received')),
               kind            TEXT NOT NULL CHECK (kind IN ('request','response','receipt','vault')),
               sender_agency   TEXT NOT NULL,
               sender_vault_id TEXT NOT NULL,
               recipients      TEXT NOT NULL DEFAULT '[]',
               reference       TEXT NOT NULL DEFAULT '',
               request_id      TEXT,
               doc_sha256      TEXT NOT NULL,
               sender_head_seq INTEGER NOT NULL,
               sender_head_mac TEXT NOT NULL,
               file_name       TEXT NOT NULL DEFAULT '',
               created         TEXT NOT NULL,
               made_at         TEXT,
               received_at     TEXT,
               receipt_state   TEXT NOT NULL DEFAULT 'none'
                               CHECK (receipt_state IN ('none','awaiting','received','written')),
               receipt_at      TEXT,
               receipt_for     TEXT
           )""",
        "CREATE INDEX packages_request ON packages(request_id)",
        """CREATE TABLE telephone_calls (
               seq            INTEGER PRIMARY KEY,
               id             TEXT NOT NULL UNIQUE,
               at             TEXT NOT NULL,
               direction      TEXT NOT NULL CHECK (direction IN ('given','received','check')),
               caller         TEXT NOT NULL,
               caller_agency  TEXT NOT NULL,
               callee         TEXT NOT NULL,
               callee_agency  TEXT NOT NULL,
               via_number     TEXT NOT NULL,
               identity_check TEXT NOT NULL,
               what           TEXT NOT NULL,
               request_id     TEXT,
               disclosure_id  TEXT,
               partner_desk_id TEXT,
               recorded_by    TEXT NOT NULL,
               recorded_at    TEXT NOT NULL
           )""",
        "ALTER TABLE dispatches ADD COLUMN package_made_at TEXT",
        "ALTER TABLE dispatches ADD COLUMN package_id TEXT",
        "ALTER TABLE dispatches ADD COLUMN delivered_at TEXT",
    ):
        db.execute(statement)
    row = new_key_row(version=1)
    db.execute("INSERT INTO desk_keys (id, version, signing_key, age_identity, created_at) VALUES (?, ?, ?, ?, ?)",
               (row["id"], row["version"], row["signing_key"], row["age_identity"], row["created_at"]))


def _v9_account_notices(db: Database) -> None:
    # Free text typed when disabling a user stays here, in the access-controlled record; the audit
    # trail carries codes and ids only.
    db.execute("ALTER TABLE users ADD COLUMN disabled_reason TEXT")
    # An administrator creating a casework account or resetting a casework user's passphrase is
    # shown to the Data Protection Manager until acknowledged.
    db.execute(
        """CREATE TABLE account_notices (
               id              TEXT PRIMARY KEY,
               kind            TEXT NOT NULL CHECK (kind IN ('account-created', 'passphrase-reset')),
               user_id         TEXT NOT NULL REFERENCES users(id),
               role            TEXT NOT NULL,
               detail          TEXT,
               at              TEXT NOT NULL,
               by_user         TEXT NOT NULL,
               acknowledged_at TEXT,
               acknowledged_by TEXT
           )"""
    )
    db.execute("CREATE INDEX account_notices_open ON account_notices(acknowledged_at, at)")


RETENTION_DECISIONS = ("keep", "hold", "release")
INFO_REQUEST_KINDS = ("sar-gdpr", "sar-part3", "foi")
INFO_REQUEST_EVENTS = ("identity-requested", "identity-confirmed", "clarification-requested",
                       "clarification-received", "extended", "dpo-consulted", "partner-consulted",
                       "responded", "closed", "reopened", "note")
ITEM_DECISIONS = ("undecided", "disclose", "withhold")


def _v10_retention(db: Database) -> None:
    # Issue 19: retention, review and disposal (8.1, 9.3); subject access and FOI requests (12).
    # The DPM's decisions on each retained record (keep until a date, legal hold, release) and the
    # dated events a retention rule counts from (a subject's death, the end of proceedings) hang off
    # the record and go with it. A disposal leaves only its certificate: references, kinds, rule
    # codes, agency codes and the audit chain head after it, never names or free text. Subject
    # access and FOI requests are a log with an append-only history (the clocks are derived from
    # it) and one row per item found, with the decision and exemption and the 12.2 consultation.
    decisions = ", ".join(f"'{d}'" for d in RETENTION_DECISIONS)  # our own constants
    kinds = ", ".join(f"'{k}'" for k in INFO_REQUEST_KINDS)
    events = ", ".join(f"'{e}'" for e in INFO_REQUEST_EVENTS)
    item_decisions = ", ".join(f"'{d}'" for d in ITEM_DECISIONS)
    for statement in (
        """CREATE TABLE retention_events (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               record_type TEXT NOT NULL CHECK (record_type IN ('request')),
               record_id   TEXT NOT NULL,
               event       TEXT NOT NULL,
               on_date     TEXT NOT NULL,
               recorded_by TEXT NOT NULL,
               recorded_at TEXT NOT NULL
           )""",
        "CREATE INDEX retention_events_record ON retention_events(record_type, record_id)",
        f"""CREATE TABLE retention_decisions (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               record_type TEXT NOT NULL CHECK (record_type IN ('request')),
               record_id   TEXT NOT NULL,
               decision    TEXT NOT NULL CHECK (decision IN ({decisions})),
               until_date  TEXT,
               reason_code TEXT NOT NULL DEFAULT '',
               reason      TEXT NOT NULL DEFAULT '',
               decided_by  TEXT NOT NULL,
               decided_at  TEXT NOT NULL
           )""",
        "CREATE INDEX retention_decisions_record ON retention_decisions(record_type, record_id, seq)",
        """CREATE TABLE disposals (
               seq          INTEGER PRIMARY KEY,
               id           TEXT NOT NULL UNIQUE,
               reference    TEXT NOT NULL UNIQUE,
               disposed_at  TEXT NOT NULL,
               approved_by  TEXT NOT NULL,
               items        TEXT NOT NULL DEFAULT '[]',
               head_seq     INTEGER NOT NULL,
               head_mac     TEXT NOT NULL
           )""",
        """CREATE TRIGGER disposals_no_update BEFORE UPDATE ON disposals
           BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END""",
        """CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
           BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END""",
        f"""CREATE TABLE info_requests (
               seq                  INTEGER PRIMARY KEY,
               id                   TEXT NOT NULL UNIQUE,
               origin_agency        TEXT NOT NULL,
               reference            TEXT NOT NULL,
               kind                 TEXT NOT NULL CHECK (kind IN ({kinds})),
               received_on          TEXT NOT NULL,
               requester_name       TEXT NOT NULL,
               requester_contact    TEXT NOT NULL DEFAULT '',
               about                TEXT NOT NULL DEFAULT '',
               subject_ids          TEXT NOT NULL DEFAULT '[]',
               asks_for_request_form INTEGER NOT NULL DEFAULT 0 CHECK (asks_for_request_form IN (0, 1)),
               created_at           TEXT NOT NULL,
               created_by           TEXT NOT NULL,
               UNIQUE (origin_agency, reference)
           )""",
        f"""CREATE TABLE info_request_events (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               info_request_id TEXT NOT NULL REFERENCES info_requests(id),
               kind        TEXT NOT NULL CHECK (kind IN ({events})),
               on_date     TEXT NOT NULL,
               details     TEXT NOT NULL DEFAULT '{{}}',
               recorded_by TEXT NOT NULL,
               recorded_at TEXT NOT NULL
           )""",
        "CREATE INDEX info_request_events_request ON info_request_events(info_request_id, seq)",
        """CREATE TRIGGER info_request_events_no_update BEFORE UPDATE ON info_request_events
           BEGIN SELECT RAISE(ABORT, 'request history is append-only'); END""",
        f"""CREATE TABLE info_request_items (
               seq             INTEGER PRIMARY KEY,
               id              TEXT NOT NULL UNIQUE,
               info_request_id TEXT NOT NULL REFERENCES info_requests(id),
               item_type       TEXT NOT NULL,
               item_id         TEXT NOT NULL,
               label           TEXT NOT NULL,
               origin_agency   TEXT NOT NULL,
               decision        TEXT NOT NULL DEFAULT 'undecided' CHECK (decision IN ({item_decisions})),
               exemption       TEXT NOT NULL DEFAULT '',
               redact_third_parties INTEGER NOT NULL DEFAULT 1 CHECK (redact_third_parties IN (0, 1)),
               note            TEXT NOT NULL DEFAULT '',
               decided_by      TEXT,
               decided_at      TEXT,
               consulted_on    TEXT,
               consulted_via   TEXT NOT NULL DEFAULT '',
               consulted_who   TEXT NOT NULL DEFAULT '',
               consult_answer  TEXT NOT NULL DEFAULT '',
               UNIQUE (info_request_id, item_type, item_id)
           )""",
        "CREATE INDEX info_request_items_request ON info_request_items(info_request_id, seq)",
        "CREATE INDEX info_request_items_item ON info_request_items(item_id)",
    ):
        db.execute(statement)


CASE_STAGES = ("information", "assessment", "investigation", "sio-oic", "tactical-advice", "tactical-meeting",
               "four-p-actions", "review")
CASE_SOURCES = ("agency-duties", "self-identified", "public-community")
REFERRAL_KINDS = ("nrm", "duty-to-notify", "gain", "nca", "local-safeguarding", "victim-support")
LINK_KINDS = ("associate-of", "family-of", "lives-at", "works-at", "runs", "registered-at", "uses-vehicle")
LINK_CONFIDENCE = ("confirmed", "probable", "possible")
LINK_SOURCES = ("request", "response", "case")


def _v11_cases(db: Database) -> None:
    # Issue 21: cases through the tactical response process (Appendix 2a), their links to requests,
    # meetings (an agenda item of kind 'case' names its case), 4P actions (through those agenda
    # items) and referrals (NRM, the duty to notify, GAIN, NCA, local safeguarding, victim support);
    # links between subjects (4.3(4)) with the record each came from and its originator (section 6).
    # Stage changes are append-only like the action history. Existing case agenda items each become
    # a case of the meeting's desk, so no meeting loses its case.
    def checked(values) -> str:
        return ", ".join(f"'{v}'" for v in values)  # our own constants

    for statement in (
        f"""CREATE TABLE cases (
               seq                INTEGER PRIMARY KEY,
               id                 TEXT NOT NULL UNIQUE,
               origin_agency      TEXT NOT NULL,
               reference          TEXT NOT NULL,
               title              TEXT NOT NULL,
               source             TEXT NOT NULL CHECK (source IN ({checked(CASE_SOURCES)})),
               source_detail      TEXT NOT NULL DEFAULT '',
               received_on        TEXT,
               exploitation_types TEXT NOT NULL DEFAULT '[]',
               lead_agency        TEXT NOT NULL,
               stage              TEXT NOT NULL CHECK (stage IN ({checked(CASE_STAGES)})),
               status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
               internal_notes     TEXT NOT NULL DEFAULT '',
               lessons            TEXT NOT NULL DEFAULT '',
               created_at         TEXT NOT NULL,
               created_by         TEXT NOT NULL,
               updated_at         TEXT NOT NULL,
               updated_by         TEXT NOT NULL,
               retention_rule     TEXT NOT NULL DEFAULT 'case-papers',
               last_reviewed_at   TEXT,
               UNIQUE (origin_agency, reference)
           )""",
        "CREATE INDEX cases_list ON cases(status, stage, lead_agency, seq)",
        f"""CREATE TABLE case_stage_changes (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               case_id     TEXT NOT NULL REFERENCES cases(id),
               from_stage  TEXT CHECK (from_stage IS NULL OR from_stage IN ({checked(CASE_STAGES)})),
               to_stage    TEXT NOT NULL CHECK (to_stage IN ({checked(CASE_STAGES)})),
               reason      TEXT NOT NULL DEFAULT '',
               at          TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        "CREATE INDEX case_stage_changes_case ON case_stage_changes(case_id, seq)",
        """CREATE TRIGGER case_stage_changes_no_update BEFORE UPDATE ON case_stage_changes
           BEGIN SELECT RAISE(ABORT, 'stage changes are append-only'); END""",
        """CREATE TRIGGER case_stage_changes_no_delete BEFORE DELETE ON case_stage_changes
           BEGIN SELECT RAISE(ABORT, 'stage changes are append-only'); END""",
        """CREATE TABLE case_requests (
               case_id    TEXT NOT NULL REFERENCES cases(id),
               request_id TEXT NOT NULL REFERENCES requests(id),
               linked_at  TEXT NOT NULL,
               linked_by  TEXT NOT NULL,
               PRIMARY KEY (case_id, request_id)
           )""",
        "CREATE INDEX case_requests_request ON case_requests(request_id)",
        f"""CREATE TABLE case_referrals (
               seq              INTEGER PRIMARY KEY,
               id               TEXT NOT NULL UNIQUE,
               case_id          TEXT NOT NULL REFERENCES cases(id),
               kind             TEXT NOT NULL CHECK (kind IN ({checked(REFERRAL_KINDS)})),
               subject_id       TEXT REFERENCES subjects(id),
               referred_on      TEXT NOT NULL,
               referred_by      TEXT NOT NULL,
               first_responder  TEXT NOT NULL DEFAULT '',
               consent          TEXT NOT NULL DEFAULT '' CHECK (consent IN ('', 'given', 'not-given', 'child')),
               external_ref     TEXT NOT NULL DEFAULT '',
               rg_decision      TEXT CHECK (rg_decision IS NULL OR rg_decision IN ('positive','negative')),
               rg_on            TEXT,
               cg_decision      TEXT CHECK (cg_decision IS NULL OR cg_decision IN ('positive','negative')),
               cg_on            TEXT,
               outcome          TEXT NOT NULL DEFAULT '',
               outcome_on       TEXT,
               notes            TEXT NOT NULL DEFAULT '',
               created_at       TEXT NOT NULL,
               created_by       TEXT NOT NULL,
               updated_at       TEXT NOT NULL,
               updated_by       TEXT NOT NULL
           )""",
        "CREATE INDEX case_referrals_case ON case_referrals(case_id, seq)",
        f"""CREATE TABLE subject_links (
               seq              INTEGER PRIMARY KEY,
               id               TEXT NOT NULL UNIQUE,
               origin_agency    TEXT NOT NULL,
               from_subject     TEXT NOT NULL REFERENCES subjects(id),
               to_subject       TEXT REFERENCES subjects(id),
               vehicle          TEXT NOT NULL DEFAULT '',
               kind             TEXT NOT NULL CHECK (kind IN ({checked(LINK_KINDS)})),
               valid_from       TEXT,
               valid_to         TEXT,
               confidence       TEXT NOT NULL CHECK (confidence IN ({checked(LINK_CONFIDENCE)})),
               source_kind      TEXT NOT NULL CHECK (source_kind IN ({checked(LINK_SOURCES)})),
               source_id        TEXT NOT NULL,
               originator       TEXT NOT NULL,
               case_id          TEXT REFERENCES cases(id),
               notes            TEXT NOT NULL DEFAULT '',
               created_at       TEXT NOT NULL,
               created_by       TEXT NOT NULL,
               CHECK ((kind = 'uses-vehicle') = (to_subject IS NULL)),
               CHECK (to_subject IS NULL OR to_subject != from_subject)
           )""",
        "CREATE INDEX subject_links_from ON subject_links(from_subject)",
        "CREATE INDEX subject_links_to ON subject_links(to_subject)",
        "CREATE INDEX subject_links_source ON subject_links(source_kind, source_id)",
        "CREATE INDEX subject_links_case ON subject_links(case_id)",
        "ALTER TABLE meeting_agenda_items ADD COLUMN case_id TEXT REFERENCES cases(id)",
        "CREATE INDEX meeting_agenda_case ON meeting_agenda_items(case_id)",
    ):
        db.execute(statement)
    import uuid

    from app.timeutil import utc_now_iso

    now = utc_now_iso()
    last: dict[tuple[str, str], int] = {}
    items = db.query("SELECT i.id, i.title, i.created_at, i.created_by, m.origin_agency, m.chair_agency"
                     " FROM meeting_agenda_items i JOIN meetings m ON m.id = i.meeting_id"
                     " WHERE i.kind = 'case' ORDER BY i.seq")
    for item in items:
        year = (item["created_at"] or now)[:4]
        key = (item["origin_agency"], year)
        if key not in last:
            last[key] = 0
        last[key] += 1
        case_id = str(uuid.uuid4())
        reference = f"CASE-{year}-{last[key]:04d}"
        db.execute("INSERT INTO cases (id, origin_agency, reference, title, source, exploitation_types,"
                   " lead_agency, stage, created_at, created_by, updated_at, updated_by)"
                   " VALUES (?, ?, ?, ?, 'agency-duties', '[]', ?, 'tactical-meeting', ?, ?, ?, ?)",
                   (case_id, item["origin_agency"], reference, item["title"] or "Case from a meeting agenda",
                    item["chair_agency"], item["created_at"], item["created_by"], now, "migration"))
        db.execute("INSERT INTO case_stage_changes (id, case_id, from_stage, to_stage, reason, at, recorded_by)"
                   " VALUES (?, ?, NULL, 'tactical-meeting', 'migrated from a meeting agenda item', ?, ?)",
                   (str(uuid.uuid4()), case_id, item["created_at"], item["created_by"]))
        db.execute("UPDATE meeting_agenda_items SET case_id = ? WHERE id = ?", (case_id, item["id"]))


def _v12_consent(db: Database) -> None:
    # Sections 6.2, 6.3 and 7.3 (issue 18): consent requests to the originating desk and the
    # signed answers that come back (grants, refusals, withdrawals), and, on each register row,
    # the items disclosed and the grants it relied on.
    for statement in (
        """CREATE TABLE consent_requests (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               reference     TEXT NOT NULL,
               direction     TEXT NOT NULL CHECK (direction IN ('made','received')),
               asking_agency TEXT NOT NULL,
               originator    TEXT NOT NULL,
               recipient     TEXT NOT NULL,
               purpose       TEXT NOT NULL,
               items         TEXT NOT NULL DEFAULT '[]',
               reason        TEXT NOT NULL DEFAULT '',
               needed_by     TEXT,
               request_id    TEXT,
               package_id    TEXT NOT NULL UNIQUE,
               file_name     TEXT NOT NULL DEFAULT '',
               asked_by      TEXT NOT NULL,
               asked_at      TEXT NOT NULL,
               recorded_at   TEXT NOT NULL,
               UNIQUE (asking_agency, reference)
           )""",
        """CREATE TABLE consent_answers (
               seq                INTEGER PRIMARY KEY,
               id                 TEXT NOT NULL UNIQUE,
               consent_request_id TEXT NOT NULL REFERENCES consent_requests(id),
               direction          TEXT NOT NULL CHECK (direction IN ('made','received')),
               decision           TEXT NOT NULL CHECK (decision IN ('granted','refused','withdrawn')),
               originator         TEXT NOT NULL,
               signer_fingerprint TEXT NOT NULL,
               items              TEXT NOT NULL DEFAULT '[]',
               recipient          TEXT NOT NULL,
               purpose            TEXT NOT NULL,
               until              TEXT,
               conditions         TEXT NOT NULL DEFAULT '',
               reason             TEXT NOT NULL DEFAULT '',
               withdraws          TEXT,
               package_id         TEXT NOT NULL UNIQUE,
               file_name          TEXT NOT NULL DEFAULT '',
               decided_by         TEXT NOT NULL,
               decided_at         TEXT NOT NULL,
               recorded_at        TEXT NOT NULL
           )""",
        "CREATE INDEX consent_answers_request ON consent_answers(consent_request_id)",
        "ALTER TABLE disclosures ADD COLUMN items TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE disclosures ADD COLUMN consent_grants TEXT NOT NULL DEFAULT '[]'",
    ):
        db.execute(statement)


def _v13_corrections(db: Database) -> None:
    # Issue 18, clause 7.2: a flag that an item is inaccurate, out of date or inadequate (the
    # notice, sent to its data controller when that is another desk), the controller's correction
    # with the old value kept for the audit, and each recipient the disclosure register named with
    # the state of its correction package (closed by that desk's signed receipt).
    import re

    for statement in (
        """CREATE TABLE correction_notices (
               seq              INTEGER PRIMARY KEY,
               id               TEXT NOT NULL UNIQUE,
               reference        TEXT NOT NULL,
               raised_by_agency TEXT NOT NULL,
               controller       TEXT NOT NULL,
               item_type        TEXT NOT NULL CHECK (item_type IN ('subject','response','request')),
               item_id          TEXT NOT NULL,
               field            TEXT NOT NULL,
               problem          TEXT NOT NULL CHECK (problem IN ('inaccurate','out-of-date','inadequate')),
               details          TEXT NOT NULL,
               suggested        TEXT NOT NULL DEFAULT '',
               raised_at        TEXT NOT NULL,
               raised_by        TEXT NOT NULL,
               status           TEXT NOT NULL CHECK (status IN
                                    ('open','to-send','package-made','delivered','corrected','declined')),
               package_id       TEXT,
               package_made_at  TEXT,
               delivered_at     TEXT,
               received_at      TEXT,
               correction_id    TEXT,
               closed_at        TEXT,
               closed_by        TEXT,
               decline_reason   TEXT NOT NULL DEFAULT '',
               UNIQUE (raised_by_agency, reference)
           )""",
        "CREATE INDEX correction_notices_item ON correction_notices(item_type, item_id)",
        """CREATE TABLE corrections (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               reference     TEXT NOT NULL,
               controller    TEXT NOT NULL,
               direction     TEXT NOT NULL CHECK (direction IN ('made','applied')),
               item_type     TEXT NOT NULL CHECK (item_type IN ('subject','response','request')),
               item_id       TEXT NOT NULL,
               field         TEXT NOT NULL,
               old_value     TEXT NOT NULL,
               new_value     TEXT NOT NULL,
               reason        TEXT NOT NULL,
               corrected_at  TEXT NOT NULL,
               recorded_at   TEXT NOT NULL,
               recorded_by   TEXT NOT NULL,
               package_id    TEXT,
               UNIQUE (controller, reference)
           )""",
        "CREATE INDEX corrections_item ON corrections(item_type, item_id)",
        """CREATE TABLE correction_recipients (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               correction_id TEXT NOT NULL REFERENCES corrections(id),
               agency        TEXT NOT NULL,
               state         TEXT NOT NULL CHECK (state IN ('to-make','package-made','delivered')),
               package_id    TEXT,
               made_at       TEXT,
               delivered_at  TEXT,
               UNIQUE (correction_id, agency)
           )""",
        "CREATE INDEX correction_recipients_package ON correction_recipients(package_id)",
    ):
        db.execute(statement)
    # The packages table takes the two new kinds. It is rebuilt from its own stored definition,
    # so columns and kinds another step added are kept as they are.
    table_sql = db.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'packages'")
    found = re.search(r"kind\s+TEXT NOT NULL CHECK \(kind IN \(([^)]*)\)\)", table_sql)
    if found is None:  # no list of kinds to widen (another step dropped it)
        return
    kinds = [k.strip().strip("'") for k in found.group(1).split(",")]
    if "correction-notice" in kinds and "correction" in kinds:
        return
    kinds += [k for k in ("correction-notice", "correction") if k not in kinds]
    new_sql = table_sql[:found.start(1)] + ",".join(f"'{k}'" for k in kinds) + table_sql[found.end(1):]
    new_sql = re.sub(r"^CREATE TABLE \"?packages\"?", "CREATE TABLE packages_v13", new_sql)
    indexes = [r["sql"] for r in db.query("SELECT sql FROM sqlite_master WHERE type = 'index'"
                                          " AND tbl_name = 'packages' AND sql IS NOT NULL")]
    db.execute(new_sql)
    db.execute("INSERT INTO packages_v13 SELECT * FROM packages")
    db.execute("DROP TABLE packages")
    db.execute("ALTER TABLE packages_v13 RENAME TO packages")
    for index in indexes:
        db.execute(index)


CONSULT_ANSWERS = ("no-objection", "objects")


def _v16_sar_consultations(db: Database) -> None:
    # Issue 19 (12.2) by sealed package: a subject access or FOI item a partner supplied is put to
    # that partner's desk, which answers no objection or objects with an exemption and its reason.
    # One row per consultation on each desk: 'asked' on the desk answering the request (it names
    # its request and item row), 'received' on the partner's desk (the question only: the request's
    # reference and kind, the item's type, id and label; never the requester). The same id on both.
    answers = ", ".join(f"'{a}'" for a in CONSULT_ANSWERS)  # our own constants
    kinds = ", ".join(f"'{k}'" for k in INFO_REQUEST_KINDS)
    for statement in (
        f"""CREATE TABLE sar_consultations (
               seq               INTEGER PRIMARY KEY,
               id                TEXT NOT NULL UNIQUE,
               direction         TEXT NOT NULL CHECK (direction IN ('asked', 'received')),
               partner           TEXT NOT NULL,
               info_request_id   TEXT REFERENCES info_requests(id),
               item_row_id       TEXT REFERENCES info_request_items(id),
               sar_reference     TEXT NOT NULL,
               sar_kind          TEXT NOT NULL CHECK (sar_kind IN ({kinds})),
               due_on            TEXT,
               item_type         TEXT NOT NULL,
               item_id           TEXT NOT NULL,
               item_label        TEXT NOT NULL,
               question          TEXT NOT NULL DEFAULT '',
               asked_at          TEXT NOT NULL,
               asked_by          TEXT NOT NULL,
               ask_package_id    TEXT NOT NULL,
               answer            TEXT CHECK (answer IS NULL OR answer IN ({answers})),
               exemption         TEXT NOT NULL DEFAULT '',
               reason            TEXT NOT NULL DEFAULT '',
               answered_at       TEXT,
               answered_by       TEXT,
               answer_package_id TEXT,
               CHECK ((direction = 'asked') = (info_request_id IS NOT NULL AND item_row_id IS NOT NULL)),
               CHECK (answer IS NULL OR answered_at IS NOT NULL)
           )""",
        "CREATE INDEX sar_consultations_item ON sar_consultations(item_row_id)",
        "CREATE INDEX sar_consultations_open ON sar_consultations(direction, answer, seq)",
    ):
        db.execute(statement)
    # The packages table takes the two new kinds. It is rebuilt from its own stored definition,
    # so columns and kinds another step added are kept as they are.
    import re

    table_sql = db.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'packages'")
    found = re.search(r"kind\s+TEXT NOT NULL CHECK \(kind IN \(([^)]*)\)\)", table_sql)
    kinds = [k.strip().strip("'") for k in found.group(1).split(",")]
    kinds += [k for k in ("sar-consult", "sar-consult-answer") if k not in kinds]
    new_sql = table_sql[:found.start(1)] + ",".join(f"'{k}'" for k in kinds) + table_sql[found.end(1):]
    new_sql = re.sub(r"^CREATE TABLE \"?packages\"?", "CREATE TABLE packages_v16", new_sql)
    indexes = [r["sql"] for r in db.query("SELECT sql FROM sqlite_master WHERE type = 'index'"
                                          " AND tbl_name = 'packages' AND sql IS NOT NULL")]
    db.execute(new_sql)
    db.execute("INSERT INTO packages_v16 SELECT * FROM packages")
    db.execute("DROP TABLE packages")
    db.execute("ALTER TABLE packages_v16 RENAME TO packages")
    for index in indexes:
        db.execute(index)


def _v17_sorted_lists(db: Database) -> None:
    # Issue 17: the lists sort in the database over the whole set. Each sort a list offers reads
    # its first page from an index in its order (a filter by status and then a sort as well),
    # rather than sorting every request for each page; the overdue answers by due date read a
    # partial index of the dispatches still awaiting an answer.
    for statement in (
        "CREATE INDEX requests_by_date ON requests(request_date, seq)",
        "CREATE INDEX requests_by_status_date ON requests(status, request_date, seq)",
        "CREATE INDEX requests_by_requester ON requests(requester_name COLLATE NOCASE, seq)",
        "CREATE INDEX requests_by_status_requester ON requests(status, requester_name COLLATE NOCASE, seq)",
        "CREATE INDEX dispatches_waiting_due ON dispatches(due_date, seq) WHERE status IN ('sent','acknowledged')",
        "CREATE INDEX disclosures_by_time ON disclosures(at, seq)",
        "CREATE INDEX disclosures_by_sender ON disclosures(from_agency, seq)",
        "CREATE INDEX disclosures_by_recipient ON disclosures(to_agency, seq)",
    ):
        db.execute(statement)


# Issue 17, finding people: a second FTS5 table of search keys per subject (its rowid the
# subject's seq), the name and aliases transliterated to ASCII and one Metaphone code per word
# (app/namekeys.py). Triggers keep it in step through the SQL functions the gateway registers
# on every connection, so every path that writes a subject (form, package, import, demo) is
# covered; the backfill indexes the subjects already in the vault.
SUBJECT_KEYS_TRIGGERS = (
    "CREATE TRIGGER subject_keys_ai AFTER INSERT ON subjects BEGIN "
    "INSERT INTO subject_keys(rowid, spelled, sounds) VALUES (new.seq, spoc_spelled_key(new.name, new.aliases), "
    "spoc_sounds_key(new.name, new.aliases)); END",
    "CREATE TRIGGER subject_keys_ad AFTER DELETE ON subjects BEGIN "
    "DELETE FROM subject_keys WHERE rowid = old.seq; END",
    "CREATE TRIGGER subject_keys_au AFTER UPDATE OF name, aliases ON subjects BEGIN "
    "DELETE FROM subject_keys WHERE rowid = old.seq; "
    "INSERT INTO subject_keys(rowid, spelled, sounds) VALUES (new.seq, spoc_spelled_key(new.name, new.aliases), "
    "spoc_sounds_key(new.name, new.aliases)); END",
)


# A search hit on a subject names its newest request. Found by scanning every link of the
# subject, that cost 8 ms at 100,000 requests for subjects on many requests; each link now keeps
# its request's seq (set by a trigger, whatever path inserted the link), indexed by subject, so
# the newest is one index seek.
REQUEST_SEQ_TRIGGER = (
    "CREATE TRIGGER request_subjects_seq AFTER INSERT ON request_subjects WHEN new.request_seq IS NULL BEGIN "
    "UPDATE request_subjects SET request_seq = (SELECT seq FROM requests WHERE id = new.request_id) "
    "WHERE request_id = new.request_id AND subject_id = new.subject_id; END"
)


def _v18_subject_keys(db: Database) -> None:
    db.execute("CREATE VIRTUAL TABLE subject_keys USING fts5(spelled, sounds, "
               "tokenize='unicode61 remove_diacritics 2')")
    for statement in SUBJECT_KEYS_TRIGGERS:
        db.execute(statement)
    db.execute("INSERT INTO subject_keys(rowid, spelled, sounds) SELECT seq, spoc_spelled_key(name, aliases),"
               " spoc_sounds_key(name, aliases) FROM subjects")
    db.execute("ALTER TABLE request_subjects ADD COLUMN request_seq INTEGER")
    db.execute("UPDATE request_subjects SET request_seq = (SELECT seq FROM requests WHERE id = request_id)")
    db.execute("CREATE INDEX request_subjects_newest ON request_subjects(subject_id, request_seq)")
    db.execute(REQUEST_SEQ_TRIGGER)


COMPLAINT_FROM = ("data-subject", "partner", "staff")
COMPLAINT_HOW = ("letter", "email", "telephone", "in-person", "via-partner", "other")
COMPLAINT_UPDATE_KINDS = ("dpm-notified", "outcome", "replied", "note")
CHASE_HOW = ("package", "telephone", "email")


def _v14_loose_ends(db: Database) -> None:
    # Issue 22. Complaints (10.1) beside the breach log, append-only like it; chases of overdue
    # answers (2.6), which go when their request is disposed of; equipment malfunctions (10.2):
    # a partner's channel recorded down, the signatories told (one row per partner), and the
    # alternative exchange Send uses for that partner until the repair is recorded.
    def enum(values) -> str:
        return ", ".join(f"'{v}'" for v in values)  # our own constants

    for statement in (
        f"""CREATE TABLE complaints (
               seq              INTEGER PRIMARY KEY,
               id               TEXT NOT NULL UNIQUE,
               origin_agency    TEXT NOT NULL,
               reference        TEXT NOT NULL,
               complainant_kind TEXT NOT NULL CHECK (complainant_kind IN ({enum(COMPLAINT_FROM)})),
               complainant      TEXT NOT NULL,
               complainant_agency TEXT NOT NULL DEFAULT '',
               agency           TEXT NOT NULL,
               about            TEXT NOT NULL,
               received_at      TEXT NOT NULL,
               received_how     TEXT NOT NULL CHECK (received_how IN ({enum(COMPLAINT_HOW)})),
               request_ids      TEXT NOT NULL DEFAULT '[]',
               subject_ids      TEXT NOT NULL DEFAULT '[]',
               created_at       TEXT NOT NULL,
               created_by       TEXT NOT NULL,
               UNIQUE (origin_agency, reference)
           )""",
        """CREATE TRIGGER complaints_no_update BEFORE UPDATE ON complaints
           BEGIN SELECT RAISE(ABORT, 'complaints are append-only'); END""",
        """CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints
           BEGIN SELECT RAISE(ABORT, 'complaints are append-only'); END""",
        f"""CREATE TABLE complaint_updates (
               seq          INTEGER PRIMARY KEY,
               id           TEXT NOT NULL UNIQUE,
               complaint_id TEXT NOT NULL REFERENCES complaints(id),
               kind         TEXT NOT NULL CHECK (kind IN ({enum(COMPLAINT_UPDATE_KINDS)})),
               at           TEXT NOT NULL,
               details      TEXT NOT NULL DEFAULT '{{}}',
               recorded_at  TEXT NOT NULL,
               recorded_by  TEXT NOT NULL
           )""",
        "CREATE INDEX complaint_updates_complaint ON complaint_updates(complaint_id, seq)",
        """CREATE TRIGGER complaint_updates_no_update BEFORE UPDATE ON complaint_updates
           BEGIN SELECT RAISE(ABORT, 'complaint updates are append-only'); END""",
        """CREATE TRIGGER complaint_updates_no_delete BEFORE DELETE ON complaint_updates
           BEGIN SELECT RAISE(ABORT, 'complaint updates are append-only'); END""",
        f"""CREATE TABLE dispatch_chases (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               dispatch_id   TEXT NOT NULL REFERENCES dispatches(id) ON DELETE CASCADE,
               at            TEXT NOT NULL,
               how           TEXT NOT NULL CHECK (how IN ({enum(CHASE_HOW)})),
               to_whom       TEXT NOT NULL,
               previous_due  TEXT,
               promised_date TEXT NOT NULL,
               note          TEXT NOT NULL DEFAULT '',
               package_id    TEXT,
               call_id       TEXT,
               recorded_at   TEXT NOT NULL,
               recorded_by   TEXT NOT NULL
           )""",
        "CREATE INDEX dispatch_chases_dispatch ON dispatch_chases(dispatch_id, seq)",
        "CREATE INDEX dispatch_chases_at ON dispatch_chases(at)",
        """CREATE TRIGGER dispatch_chases_no_update BEFORE UPDATE ON dispatch_chases
           BEGIN SELECT RAISE(ABORT, 'chases are never rewritten'); END""",
        """CREATE TABLE channel_outages (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               partner       TEXT NOT NULL,
               channel       TEXT NOT NULL,
               down_at       TEXT NOT NULL,
               what          TEXT NOT NULL,
               fallback      TEXT NOT NULL,
               fallback_note TEXT NOT NULL DEFAULT '',
               breach_id     TEXT,
               recorded_at   TEXT NOT NULL,
               recorded_by   TEXT NOT NULL,
               repaired_at   TEXT,
               repair_note   TEXT,
               repaired_by   TEXT
           )""",
        "CREATE INDEX channel_outages_partner ON channel_outages(partner, repaired_at)",
        """CREATE TRIGGER channel_outages_no_delete BEFORE DELETE ON channel_outages
           BEGIN SELECT RAISE(ABORT, 'equipment malfunctions are kept'); END""",
        """CREATE TABLE outage_notices (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               outage_id   TEXT NOT NULL REFERENCES channel_outages(id),
               partner     TEXT NOT NULL,
               signatory   TEXT NOT NULL,
               how         TEXT NOT NULL,
               at          TEXT NOT NULL,
               recorded_at TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        """CREATE TRIGGER outage_notices_no_update BEFORE UPDATE ON outage_notices
           BEGIN SELECT RAISE(ABORT, 'notices are never rewritten'); END""",
        "ALTER TABLE dispatches ADD COLUMN outage_id TEXT",
        "ALTER TABLE dispatches ADD COLUMN channel TEXT",
    ):
        db.execute(statement)


def _v15_governance(db: Database) -> None:
    # Issue 20 (3.1, 6.4, 13.1-13.4): the agreement this vault works under (its file kept whole, so
    # the vault never silently follows a different file), each partner's signatory, disputes with
    # their steps, each user's approval and training, and the compliance returns of partner desks.
    for statement in (
        """CREATE TABLE agreement_register (
               seq         INTEGER PRIMARY KEY,
               id          TEXT NOT NULL UNIQUE,
               title       TEXT NOT NULL,
               short_name  TEXT NOT NULL,
               version     TEXT,
               sha256      TEXT NOT NULL,
               file_name   TEXT NOT NULL,
               file_text   TEXT NOT NULL,
               adopted_at  TEXT NOT NULL,
               adopted_by  TEXT NOT NULL,
               reason      TEXT NOT NULL DEFAULT ''
           )""",
        """CREATE TABLE signatories (
               partner     TEXT PRIMARY KEY,
               name        TEXT NOT NULL,
               position    TEXT NOT NULL,
               signed_on   TEXT NOT NULL,
               recorded_at TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        """CREATE TABLE disputes (
               seq           INTEGER PRIMARY KEY,
               id            TEXT NOT NULL UNIQUE,
               origin_agency TEXT NOT NULL,
               reference     TEXT NOT NULL,
               partner       TEXT NOT NULL,
               raised_by     TEXT NOT NULL CHECK (raised_by IN ('us','partner')),
               about         TEXT NOT NULL,
               raised_on     TEXT NOT NULL,
               due_on        TEXT NOT NULL,
               status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved','escalated')),
               outcome       TEXT NOT NULL DEFAULT '',
               closed_on     TEXT,
               created_at    TEXT NOT NULL,
               created_by    TEXT NOT NULL,
               UNIQUE (origin_agency, reference)
           )""",
        "CREATE INDEX disputes_status ON disputes(status, due_on)",
        """CREATE TABLE dispute_steps (
               seq         INTEGER PRIMARY KEY,
               dispute_id  TEXT NOT NULL REFERENCES disputes(id),
               on_date     TEXT NOT NULL,
               text        TEXT NOT NULL,
               recorded_at TEXT NOT NULL,
               recorded_by TEXT NOT NULL
           )""",
        """CREATE TABLE user_approvals (
               user_id      TEXT PRIMARY KEY REFERENCES users(id),
               approved_by  TEXT NOT NULL DEFAULT '',
               approved_on  TEXT,
               course       TEXT NOT NULL DEFAULT '',
               trained_on   TEXT,
               renewal_due  TEXT,
               updated_at   TEXT NOT NULL,
               updated_by   TEXT NOT NULL
           )""",
        """CREATE TABLE compliance_returns (
               seq          INTEGER PRIMARY KEY,
               id           TEXT NOT NULL UNIQUE,
               partner      TEXT NOT NULL,
               made_at      TEXT NOT NULL,
               rows         TEXT NOT NULL,
               heads        TEXT NOT NULL,
               mismatches   TEXT NOT NULL,
               imported_at  TEXT NOT NULL,
               imported_by  TEXT NOT NULL
           )""",
        "CREATE INDEX compliance_returns_partner ON compliance_returns(partner, imported_at)",
        # The compliance report reads a period of dispatches, responses and disclosures: covering
        # indexes keep it off the wide rows (their free text) on a 100,000-request vault.
        "CREATE INDEX dispatches_compliance ON dispatches(sent_at, agency, status, due_date, closed_at, request_id)",
        "CREATE INDEX requests_origin ON requests(id, origin_agency)",
        "CREATE INDEX responses_compliance ON responses(response_date, kind, origin_agency, lawful_bases)",
        "CREATE INDEX disclosures_compliance ON disclosures(kind, at, to_agency, lawful_bases)",
    ):
        db.execute(statement)
    # A vault made before this step worked under the shipped agreement: record that file now.
    from app.governance import backfill_agreement

    backfill_agreement(db)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "vault metadata, users and the audit trail", _v1_core),
    Migration(2, "vault policy settings", _v2_policy),
    Migration(3, "encrypted drafts of unsaved forms", _v3_drafts),
    Migration(4, "requests, subjects, dispatches, responses, disclosures, contacts, search", _v4_requests),
    Migration(5, "the breach log with its append-only updates", _v5_breaches),
    Migration(6, "tactical meetings: attendees, agenda, decisions, 4P actions, further-disclosure permissions",
              _v6_meetings),
    Migration(7, "indexes for the request list: its columns and its per-request counts", _v7_list_counts),
    Migration(8, "desk keys, trusted partner desks, sealed packages, the telephone log", _v8_desk_keys),
    Migration(9, "disable reasons kept with the user; account notices for the Data Protection Manager",
              _v9_account_notices),
    Migration(10, "retention decisions, disposal certificates, subject access and FOI requests", _v10_retention),
    Migration(11, "cases (Appendix 2a) with stages, requests, referrals; links between subjects (4.3(4))",
              _v11_cases),
    Migration(12, "consent requests and signed answers (6.2, 6.3, 7.3); register rows cite the grants",
              _v12_consent),
    Migration(13, "corrections (7.2): notices, corrections with old values, each recipient's state", _v13_corrections),
    Migration(14, "complaints (10.1), chases of overdue answers (2.6), equipment malfunctions (10.2)",
              _v14_loose_ends),
    Migration(15, "the agreement register, signatories, disputes, user approval and training, compliance returns",
              _v15_governance),
    Migration(16, "subject access consultations of partners by sealed package (12.2)", _v16_sar_consultations),
    Migration(17, "indexes for the lists sorted in the database: requests, overdue answers, the register",
              _v17_sorted_lists),
    Migration(18, "search keys for names across scripts and spellings (transliteration, sounds like)",
              _v18_subject_keys),
)
LATEST = MIGRATIONS[-1].version


def schema_version(db: Database) -> int:
    return int(db.scalar("PRAGMA user_version"))


def check_supported(version: int, vault_name: str) -> None:
    if version > LATEST:
        raise InvalidInput(
            f"{vault_name} was written by a newer SPOC Desk (schema {version}; this version knows up to "
            f"{LATEST}). Install the newer version to open it; nothing was changed."
        )


def pending(version: int, target: int = LATEST) -> list[Migration]:
    return [m for m in MIGRATIONS if version < m.version <= target]


def migrate(db: Database, target: int = LATEST, on_step: Callable[[Migration], None] | None = None) -> int:
    """Bring the schema up to `target`, one transaction per step; returns the new version."""
    version = schema_version(db)
    check_supported(version, db.path.name)
    for step in pending(version, target):
        with db.transaction():
            step.apply(db)
            # user_version takes no parameters; the value is our own integer, not user input.
            db.execute(f"PRAGMA user_version = {int(step.version)}")
        if on_step:
            on_step(step)
        version = step.version
    return version
