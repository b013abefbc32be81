"""The parent's consent page and "What we agreed" (issue 15), behind an invitation's session.

- `part_details` — what the page shows: for `consent` exactly the version of the transition
  description that would be handed over (or a meeting's purpose and participants, or a forum's
  purpose and participants as they stand now — `parents/forum_consent.py`); for
  `agreements` only what the professional chose to share.
- `decide_consent` — give or refuse: a final consent record attributed to the guardian (channel
  "parent link"), a receipt by e-mail when the guardian has an address, and for a consent given a
  withdrawal link of its own (≥ 128 bits, only its hash stored).
- `withdrawal_of` / `withdraw_consent` — the withdrawal page: a new `withdrawn` decision that stops
  the handover from then on.
- `confirm_read` — the parent confirms they have read the agreements (kept on the meeting record
  as their words, attributed; shown to staff).

Every step is an audit event with the guardian (never a token or what the text says).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.db import utcnow
from backend.domain import parent_consent as rules
from backend.domain.consent import HANDOVER
from backend.i18n import translations
from backend.notify.email import queue_email
from backend.parents.consent_models import ParentConsentLink
from backend.parents.forum_consent import ForumView, forum_view
from backend.parents.models import ParentInvitation
from backend.people.models import Child, Guardian, Unit
from backend.records.consents import latest_decision
from backend.records.models import Record
from backend.records.parent_consent import store_parent_consent
from backend.records.service import store_parents_words

#: What a forum consent's record keeps about the forum (carried over to a withdrawal).
FORUM_KEYS = ("forum_id", "forum_name", "forum_kind", "participants")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def withdraw_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/p/withdraw/{token}"


def _audit(audit: AuditTrail, invitation: ParentInvitation, action: str, **detail: object) -> None:
    audit.add(
        action,
        "parent_invitation",
        invitation.id,
        invitation.child_id,
        guardian_id=invitation.guardian_id,
        record_id=invitation.record_id,
        part=invitation.part,
        **detail,
    )


# --- What the page shows -------------------------------------------------------------------------


@dataclass
class ConsentSubject:
    """What a consent invitation asks about: `kind`, the record it covers and its version now."""

    kind: str
    record: Record
    version: int
    to_unit_name: str = ""
    #: The consent record the professional prepared and invited to (a draft): the parent's
    #: decision completes it instead of making another.
    prepared: Record | None = None
    #: A consent to a cross-disciplinary forum (or one of its meetings): `record` is then the
    #: prepared consent record itself and `version` stands for the participants shown.
    forum: ForumView | None = None

    @property
    def scope_id(self) -> str:
        if self.forum is not None:
            return self.forum.meeting_id or self.forum.id
        return self.record.id

    def derived(self) -> dict[str, Any]:
        """What the consent record keeps about a forum: which, and exactly whom it covers."""
        if self.forum is None:
            return {}
        return {
            "forum_id": self.forum.id,
            "forum_name": self.forum.name,
            "forum_kind": self.forum.kind,
            "participants": self.forum.participants,
        }


def consent_subject(db: Session, invitation: ParentInvitation) -> ConsentSubject | None:
    """The transition (handover) or dialogue meeting the consent covers — of this child, in the
    unit that invited — or None (the page then answers 404)."""
    record = db.get(Record, invitation.record_id)
    if record is None or record.child_id != invitation.child_id:
        return None
    found = rules.consent_kind_for(record.type, record.data)
    if found is None:
        return None
    kind, where = found
    if kind == "meeting" and record.type == "consent" and record.unit_id == invitation.unit_id:
        forum = forum_view(db, record, invitation.unit_id)
        if forum is not None:
            prepared = record if record.status == "draft" else None
            return ConsentSubject(kind, record, forum.version, "", prepared, forum)
    subject = record
    if where == "scope":
        subject = db.get(Record, str(record.data.get("scope") or "")) if record.data.get("scope") else None
    expected_type = "transition" if kind == HANDOVER else "dialogue_meeting"
    if subject is None or subject.type != expected_type or subject.child_id != invitation.child_id:
        return None
    if subject.unit_id != invitation.unit_id:
        return None
    if kind == HANDOVER and not subject.data.get("to_unit_id"):
        return None  # nothing to hand over to yet: the parents are never asked about "someone"
    to_unit_name = ""
    if kind == HANDOVER and subject.data.get("to_unit_id"):
        unit = db.get(Unit, subject.data["to_unit_id"])
        to_unit_name = unit.name if unit else ""
    prepared = record if record.type == "consent" and record.status == "draft" else None
    return ConsentSubject(kind, subject, subject.version, to_unit_name, prepared)


def part_details(db: Session, invitation: ParentInvitation) -> dict[str, Any] | None:
    """What the consent or agreements page needs (None: nothing this link covers → 404). (While
    the child's concern is on the abuse path the link itself answers 404: `parents/link.py`.)"""
    if invitation.part == "consent":
        subject = consent_subject(db, invitation)
        return {"subject": subject} if subject is not None else None
    if invitation.part == "agreements":
        record = db.get(Record, invitation.record_id)
        if record is None or record.type != "dialogue_meeting" or record.child_id != invitation.child_id:
            return None
        return {"shared": rules.shared_agreements(record.data), "version": record.version}
    return {}


# --- Give or refuse ------------------------------------------------------------------------------


@dataclass
class DecisionResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    state: str = ""
    withdraw_url: str = ""
    emailed: bool = False


def decide_consent(
    db: Session,
    audit: AuditTrail,
    invitation: ParentInvitation,
    base_url: str,
    choice: str,
    typed_name: str,
    shown_version: str,
) -> DecisionResult:
    """The parent gives or refuses consent on exactly the version they read. A description
    changed since the page was shown is shown again (nothing is recorded)."""
    subject = consent_subject(db, invitation)
    guardian = db.get(Guardian, invitation.guardian_id)
    if subject is None or guardian is None or guardian.child_id != invitation.child_id:
        return DecisionResult(False, {"choice": "not_here"})
    errors = rules.decision_errors(choice, typed_name)
    if errors:
        return DecisionResult(False, errors)
    shown = int(shown_version) if shown_version.isascii() and shown_version.isdigit() else None
    if not rules.version_still_shown(shown, subject.version):
        _audit(audit, invitation, "parent.consent_changed", version=subject.version)
        return DecisionResult(False, changed=True)
    record = store_parent_consent(
        db,
        audit,
        subject=subject.record,
        kind=subject.kind,
        state=choice,
        guardian=guardian,
        typed_name=typed_name,
        covered_version=subject.version,
        author_id=invitation.created_by_id,
        prepared=subject.prepared,
        scope_id=subject.scope_id,
        extra_derived=subject.derived(),
    )
    token = secrets.token_urlsafe(rules.WITHDRAW_TOKEN_BYTES) if choice == "given" else ""
    link = ParentConsentLink(
        invitation_id=invitation.id,
        consent_record_id=record.id,
        child_id=invitation.child_id,
        guardian_id=guardian.id,
        state=choice,
        withdraw_token_hash=_sha256(token) if token else None,
    )
    db.add(link)
    now = utcnow()
    invitation.used_at = now
    invitation.session_hash = invitation.session_csrf = None
    db.add(invitation)
    db.flush()
    url = withdraw_url(base_url, token) if token else ""
    emailed = _receipt(db, link, guardian, invitation.language, choice, subject, record, url)
    _audit(
        audit,
        invitation,
        "parent.consent",
        state=choice,
        kind=subject.kind,
        consent_id=record.id,
        version=subject.version,
        receipt=emailed,
        **({"forum_id": subject.forum.id} if subject.forum is not None else {}),
    )
    return DecisionResult(True, state=choice, withdraw_url=url, emailed=emailed)


def _receipt(
    db: Session,
    link: ParentConsentLink,
    guardian: Guardian,
    language: str,
    state: str,
    subject: ConsentSubject,
    record: Record,
    url: str,
) -> bool:
    """The receipt by e-mail (in the parent's language), when the guardian has an address: what
    was decided, when and about what — no child's name, no text from the record."""
    address = (guardian.email or "").strip()
    if not address or "@" not in address:
        return False
    _ = translations(language).gettext
    decided = datetime.fromisoformat(record.data["decided_at"]).strftime("%d.%m.%Y %H:%M")
    lines = [_(rules.RECEIPT_GREETING), ""]
    lines.append(_(rules.RECEIPT_DECISION[state]) % {"when": decided})
    if subject.forum is not None:
        lines.append(_(rules.RECEIPT_ABOUT_FORUM) % {"forum": subject.forum.name})
    else:
        lines.append(_(rules.RECEIPT_ABOUT[subject.kind]) % {"unit": subject.to_unit_name or "–"})
    if url:
        lines += ["", _(rules.RECEIPT_WITHDRAW), url]
    lines += ["", _(rules.RECEIPT_FOOTER)]
    queue_email(
        db,
        key=f"parent_consent:{link.id}:{state}",
        to=address,
        subject=_(rules.RECEIPT_SUBJECT),
        body="\n".join(lines),
        record_id=record.id,
    )
    return True


# --- Withdrawal ----------------------------------------------------------------------------------


@dataclass
class Withdrawal:
    """A withdrawal link: `state` "open" (may withdraw), "done" (withdrawn) or "closed" (the consent
    is no longer the latest decision); what it is about; the language of the page."""

    link: ParentConsentLink
    state: str
    kind: str
    to_unit_name: str
    decided_at: str
    language: str
    #: The forum a forum consent covered ("" for any other consent).
    forum_name: str = ""


def _link_by_token(db: Session, token: str) -> ParentConsentLink | None:
    if not token or len(token) > 100:
        return None
    return db.exec(
        select(ParentConsentLink).where(ParentConsentLink.withdraw_token_hash == _sha256(token))
    ).first()


def withdrawal_of(db: Session, token: str) -> Withdrawal | None:
    """What a withdrawal link covers (None for an unknown link → 404)."""
    link = _link_by_token(db, token)
    consent = db.get(Record, link.consent_record_id) if link is not None else None
    invitation = db.get(ParentInvitation, link.invitation_id) if link is not None else None
    if link is None or consent is None or invitation is None:
        return None
    latest = latest_decision(db, link.child_id, consent.data["kind"], consent.data["scope"])
    if link.withdrawn_at is not None:
        state = "done"
    elif (
        latest is not None
        and latest.id == consent.id
        and rules.may_withdraw(consent.data.get("state"), False)
    ):
        state = "open"
    else:
        state = "closed"
    return Withdrawal(
        link,
        state,
        consent.data["kind"],
        str(consent.derived.get("to_unit_name") or ""),
        consent.data.get("decided_at", "")[:10],
        invitation.language,
        str(consent.derived.get("forum_name") or ""),
    )


def withdraw_consent(db: Session, audit: AuditTrail, base_url: str, token: str) -> Withdrawal | None:
    """The parent withdraws a consent they gave through their link: a new `withdrawn` decision
    (from now on; the handover stops at once)."""
    found = withdrawal_of(db, token)
    if found is None or found.state != "open":
        return found
    link = found.link
    consent = db.get(Record, link.consent_record_id)
    forum_scoped = consent is not None and bool(consent.derived.get("forum_id"))
    # A forum consent's scope is the forum (or meeting), not a record: the consent stands in.
    subject = consent if forum_scoped else db.get(Record, consent.data["scope"]) if consent else None
    guardian = db.get(Guardian, link.guardian_id)
    invitation = db.get(ParentInvitation, link.invitation_id)
    if consent is None or subject is None or guardian is None or invitation is None:
        return None
    record = store_parent_consent(
        db,
        audit,
        subject=subject,
        kind=consent.data["kind"],
        state="withdrawn",
        guardian=guardian,
        typed_name=consent.data.get("evidence", {}).get("typed_name") or guardian.name,
        covered_version=consent.derived.get("scope_version"),
        author_id=invitation.created_by_id,
        scope_id=consent.data["scope"],
        extra_derived={k: consent.derived[k] for k in FORUM_KEYS if k in consent.derived},
    )
    link.withdrawn_at = utcnow()
    link.withdrawal_record_id = record.id
    db.add(link)
    unit = str(consent.derived.get("to_unit_name") or "")
    forum = ForumView(consent.derived["forum_id"], found.forum_name, "", None, None) if forum_scoped else None
    subject_view = ConsentSubject(consent.data["kind"], subject, subject.version, unit, forum=forum)
    emailed = _receipt(db, link, guardian, invitation.language, "withdrawn", subject_view, record, "")
    _audit(audit, invitation, "parent.consent_withdraw", consent_id=record.id, receipt=emailed)
    return Withdrawal(link, "done", found.kind, unit, found.decided_at, found.language, found.forum_name)


# --- What we agreed ------------------------------------------------------------------------------


def confirm_read(db: Session, audit: AuditTrail, invitation: ParentInvitation, shown_version: str) -> bool:
    """The parent confirms they have read the shared agreements: kept on the meeting record as
    their words (attributed, with the version they read); the link is used afterwards."""
    record = db.exec(select(Record).where(Record.id == invitation.record_id).with_for_update()).first()
    guardian = db.get(Guardian, invitation.guardian_id)
    child = db.get(Child, invitation.child_id)
    if record is None or guardian is None or child is None or rules.shared_agreements(record.data) is None:
        return False
    version = int(shown_version) if shown_version.isascii() and shown_version.isdigit() else record.version
    now = utcnow()
    entry = {
        "part": "agreements",
        "guardian_id": guardian.id,
        "guardian_name": guardian.name,
        "invitation_id": invitation.id,
        "submitted_at": now.isoformat(),
        "answers": {"read_version": str(version)},
    }
    store_parents_words(db, record, entry, invitation.created_by_id)
    invitation.used_at = now
    invitation.session_hash = invitation.session_csrf = None
    db.add(invitation)
    _audit(audit, invitation, "parent.agreements_read", version=version)
    return True
