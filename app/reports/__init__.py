"""Printable OFFICIAL-SENSITIVE documents (Appendix 1 para 2; DESIGN.md "Protective marking").

`build_report(vault, kind, ref)` lays a document out on the marked page template and returns it
in memory; nothing touches the disk. Whoever shows, prints or saves it then calls
`record_use(vault, report, how)`, so every preview, print and save is an audit event naming the
document (by reference, never by content) and the user.

Kinds and their REF:
  request        a request reference, MSR-2026-0001
  response       request and agency, MSR-2026-0001/DWP (or MSR-2026-0001/DCC/ASC)
  collation      a request reference
  disclosures    all, a request reference, or a partner code
  audit          all, or the reference of a request, breach or meeting
  meeting-pack   a meeting reference, TM-2026-0001
  breach         a breach reference, BR-2026-0001
  complaint      a complaint reference, CP-2026-0001
  breach-register  all or open (breaches, then complaints)
  disposal-certificate  a certificate reference, DC-2026-0001, or a reference it disposed of
  subject-file   a subject access reference (SAR-2026-0001), a subject id, or a name finding one subject
  response-pack  a subject access or FOI reference: what the DPM decided to disclose
  exemption-schedule  the same reference: every item's decision, exemption and consultation
  case           a case reference, CASE-2026-0001
  relationship-map  a case (CASE-2026-0001) or request (MSR-2026-0001) reference, or subject:ID
  corrections    all: notices, corrections and each recipient's state (clause 7.2)
  consents       all: the consents register (6.2, 6.3, 7.3)
  agreement-register  all: the agreement, signatories and reviews, disputes, users' approval and training
  compliance     a period FROM..TO (YYYY-MM-DD), optionally /PARTNER; all = this quarter so far
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.errors import InvalidInput
from app.roles import require
from app.timeutil import utc_now

# kind -> (module:function that returns a Content, permission, what the refusal says)
KINDS: dict[str, tuple[str, str, str]] = {
    "request": ("app.reports.documents:request_form", "requests.read", "print requests"),
    "response": ("app.reports.documents:response_doc", "requests.read", "print responses"),
    "collation": ("app.reports.documents:collation_doc", "requests.read", "print a collation"),
    "disclosures": ("app.reports.documents:disclosures_doc", "disclosures.read", "print the disclosure register"),
    "audit": ("app.reports.documents:audit_doc", "audit.read", "print the audit trail"),
    "meeting-pack": ("app.reports.meeting_pack:meeting_pack", "meetings.read", "print meeting packs"),
    "breach": ("app.reports.breach_reports:breach_doc", "breaches.read", "print breach reports"),
    "complaint": ("app.reports.breach_reports:complaint_doc", "breaches.read", "print complaint reports"),
    "breach-register": ("app.reports.breach_reports:register_doc", "breaches.read", "print the breach register"),
    "disposal-certificate": ("app.reports.information_rights:disposal_certificate", "retention.review",
                             "print disposal certificates"),
    "subject-file": ("app.reports.information_rights:subject_file_doc", "info_requests.read", "print a subject file"),
    "response-pack": ("app.reports.information_rights:response_pack", "info_requests.read",
                      "print subject access response packs"),
    "exemption-schedule": ("app.reports.information_rights:exemption_schedule", "info_requests.read",
                           "print schedules of exemptions"),
    "case": ("app.reports.case_reports:case_doc", "cases.read", "print case summaries"),
    "relationship-map": ("app.reports.case_reports:relationship_map", "requests.read", "print relationship maps"),
    "corrections": ("app.reports.corrections:register_doc", "corrections.read", "print the corrections register"),
    "consents": ("app.reports.consent_reports:consents_register", "disclosures.read", "print the consents register"),
    "agreement-register": ("app.reports.governance_reports:agreement_register", "governance.read",
                           "print the agreement register"),
    "compliance": ("app.reports.governance_reports:compliance_doc", "compliance.read", "print the compliance report"),
}
USES = ("previewed", "printed", "saved")


@dataclass(frozen=True)
class Report:
    kind: str
    title: str  # what the document is; never personal data
    reference: str  # the document reference printed on every page
    data: bytes  # the PDF, in memory
    page_count: int

    @property
    def filename(self) -> str:
        """A suggested file name built from the reference only."""
        from app.reports.template import safe_filename

        return safe_filename(self.reference, self.kind)


def _builder(kind: str) -> Callable:
    target = KINDS[kind][0]
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def printed_by(vault) -> str:
    from app.reports.documents import partner_name

    return f"{vault.actor} ({partner_name(vault.agency)})"


def build_report(vault, kind: str, ref: str = "all", *, progress: Callable[[int], None] | None = None,
                 for_agency: str | None = None, purpose: str | None = None) -> Report:
    """Build one document in memory. Raises InvalidInput for an unknown kind or reference and
    AuthError when the user's role may not see what it holds. `for_agency`: printed to give to
    that partner, which sections 6.2-6.3 allow only with written consent for what it carries
    (app.consent.check_disclosure), refused otherwise (ConsentNeeded)."""
    if kind not in KINDS:
        raise InvalidInput(f"Unknown report kind {kind!r}; choose one of: {', '.join(KINDS)}.")
    _, permission, what = KINDS[kind]
    require(vault.role, permission, what)
    if for_agency:
        from app import consent
        from app.agreement import load_agreement

        if for_agency not in load_agreement().partner_codes():
            raise InvalidInput(f"Unknown agency {for_agency[:20]!r} to print for.")
        request_id, items = consent.items_of_report(vault, kind, ref)
        chosen = consent.check_purpose(purpose or consent.default_purpose(vault, request_id))
        consent.require_consent(vault, items, for_agency, chosen)
        vault.audit("report.for_partner", record_type=kind, record_id=str(ref)[:60], reason=for_agency)
    content = _builder(kind)(vault, ref)
    return render(vault, kind, content, progress=progress)


def render(vault, kind: str, content, *, progress: Callable[[int], None] | None = None) -> Report:
    """Lay out a document's Content on the marked template for this vault's user."""
    from app.reports.template import Marking, build_pdf

    # The document's own audit event first, so the head on its footer covers the making of it.
    vault.audit("report.generated", record_type=kind, record_id=content.reference)
    marking = Marking(title=content.title, reference=content.reference, printed_by=printed_by(vault),
                      printed_at=utc_now(), chain_head=vault.chain_head().short(),
                      partner_information=content.partner_information, names_subjects=content.names_subjects,
                      landscape=content.landscape)
    built = build_pdf(content.story, marking, progress=progress)
    return Report(kind, content.title, content.reference, built.data, built.page_count)


def record_use(vault, report: Report, how: str) -> None:
    """Audit a preview, print or save of a document (reference and kind only)."""
    if how not in USES:
        raise ValueError(f"unknown use {how!r}")
    vault.audit(f"report.{how}", record_type=report.kind, record_id=report.reference,
                reason=f"{report.page_count} pages")


def recovery_key_sheet(vault, recovery_key: str) -> Report:
    """The recovery-key sheet (built only while the key is on screen; never stored)."""
    from app.reports.documents import recovery_sheet

    return render(vault, "recovery-key", recovery_sheet(vault, recovery_key))


def save_pdf(data: bytes, path: str | Path, *, replace: bool = False) -> None:
    """Write a document whole or not at all, readable by this user only (it holds personal data).

    Without `replace` an existing file is refused. With it (the desktop's Save dialog has already
    asked), the new file is written beside it under a temporary name and then swapped in, so a
    failure leaves the old file as it was."""
    from app.files import write_private

    write_private(path, data, replace=replace)
