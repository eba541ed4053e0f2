"""The exchange format `spocdesk/1`: export and import of requests between desks (DESIGN.md).

One JSON document: `{"format": "spocdesk/1", "scope": "vault"|"request", ...}` with `requests`
(each with its subjects by id, and its dispatches, each with its responses), `subjects`, and for
a whole-vault file also `disclosures`, `contacts`, `partner_suspensions`, `breaches` and
`meetings` (each with its attendees, agenda, decisions, 4P actions with their status history,
and the chair's further-disclosure permissions, which name their rows in `disclosures`). The
schema is `resources/schema/spocdesk-1.schema.json` (docs/exchange-format.md); unknown fields are rejected.

Export:
- `export_vault` (admin only): everything, for moving or restoring a desk. Audited.
  Breaches and meetings travel only in such a file.
- `export_request` (SPOC): one request for sending, with its subjects and all its dispatches,
  and only the responses this desk made and sent (never a draft, never another partner's
  answers: section 6). Audited
  and recorded in the disclosure register (kind `export`, one row per recipient).
Both carry the audit chain head (taken after the export's own audit event).

Import (`import_document`): validated with jsonschema, then domain checks (agreement codes,
dates, subject links, reference clashes); the first problem found stops it with an InvalidInput
naming the record (`requests[3] MSR-2026-0004`) and the field path; otherwise everything is
written in one transaction, so a bad file changes nothing.

Records are identified by UUID. Re-importing is idempotent: a record already in the vault is
left as it is, unless the file was exported by the record's originating desk and this desk is
not that desk, in which case the file's copy (the origin's newer version) replaces it. A request
whose reference is already used by a different request of the same agency is an error.
A request-scope import also acts on what arrives: a response sent by another desk is stored as
`received`, moves its dispatch to responded / nil-return / declined and is written to the
disclosure register, as is a newly received request.
Append-only records (breaches and their updates; a meeting's decisions, action history and
permissions) are never rewritten: one already held must be the same in the file, or nothing is
imported.

The package: `columns` (record kinds and their encoding), `export`, `validate`, `importer`,
`keys` (the standard primitives), `desks` (desk cards, trusted partner desks, the telephone log)
and `packages` (sealed, signed packages and receipts: the only way requests and responses travel).
"""

from app.exchange.columns import (ACTION_COLS, ACTION_UPDATE_COLS, AGENDA_COLS, ATTENDEE_COLS, BOOL_COLS,  # noqa: F401
                                  BREACH_COLS, BREACH_UPDATE_COLS, CONTACT_COLS, DECISION_COLS, DISCLOSURE_COLS,
                                  DISPATCH_COLS, FORMAT, JSON_COLS, MEETING_COLS, PERMISSION_COLS, REQUEST_COLS,
                                  RESPONSE_COLS, SCHEMA_FILE, SUBJECT_COLS, SUSPENSION_COLS, insert_sql, to_json,
                                  to_params)
from app.exchange.export import export_request, export_vault, read_file, write_file  # noqa: F401
from app.exchange.importer import ImportSummary, import_document, import_file  # noqa: F401
from app.exchange.validate import _fast_check, _validator, schema, validate_document  # noqa: F401
