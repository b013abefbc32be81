"""Records as the contract's JSON, and the small read models the pages need."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.people.models import User
from backend.records.models import Record, RecordVersion


def user_names(db: Session, user_ids: set[str]) -> dict[str, str]:
    """Display names by user id; users the session already holds (the signed-in user) are not
    read again."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        user = db.identity_map.get(Session.identity_key(User, user_id)) if user_id else None
        if user is not None:
            names[user_id] = user.display_name
    missing = {user_id for user_id in user_ids if user_id and user_id not in names}
    if missing:
        rows = db.exec(select(User.id, User.display_name).where(User.id.in_(missing)))
        names.update(rows.all())
    return names


def record_json(record: Record, names: dict[str, str]) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "child_id": record.child_id,
        "unit_id": record.unit_id,
        "version": record.version,
        "status": record.status,
        "data": record.data,
        "derived": record.derived,
        "author": {"id": record.author_id, "name": names.get(record.author_id, "")},
        "updated_by": {"id": record.updated_by_id, "name": names.get(record.updated_by_id, "")},
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def versions_of(db: Session, record_id: str) -> list[RecordVersion]:
    query = select(RecordVersion).where(RecordVersion.record_id == record_id)
    return list(db.exec(query.order_by(RecordVersion.version.desc())))


def version_json(version: RecordVersion, names: dict[str, str]) -> dict:
    return {
        "version": version.version,
        "status": version.status,
        "data": version.data,
        "derived": version.derived,
        "author": {"id": version.author_id, "name": names.get(version.author_id, "")},
        "saved_at": version.saved_at.isoformat(),
    }


#: The date that places a record on the child's timeline, per type.
KEY_DATES = {
    "adbb": "screened_on",
    "dialogue_meeting": "held_on",
    "reflection": "held_on",
    "concern_note": "observed_on",
    "notification": "sent_on",
    "transition": "starts_on",
    "consent": "decided_at",
}


def key_date(record: Record) -> str | None:
    value = record.data.get(KEY_DATES.get(record.type, ""), None)
    return value[:10] if isinstance(value, str) else None


def record_summary(record: Record) -> str:
    """One line about the record for lists (no more than the list's reader may see)."""
    from backend.i18n import gettext as _

    if record.type == "adbb" and "total" in record.derived:
        text = _("Total %(total)s af 32") % {"total": record.derived["total"]}
        if record.derived.get("above_cutoff"):
            text += " – " + _("over grænsen")
        return text
    if record.type == "concern_note":
        text = record.data.get("text") or ""
        return text[:120] + ("…" if len(text) > 120 else "")
    if record.type == "notification":
        return record.data.get("authority") or ""
    if record.type in ("dialogue_meeting", "reflection"):
        return meeting_summary(record)
    if record.type in ("transition", "consent"):
        from backend.records.transition_views import transition_summary

        return transition_summary(record)
    if record.type == "wellbeing":
        return _("Fælles vurdering") if record.data.get("kind") == "joint" else _("Individuel vurdering")
    return ""


def meeting_summary(record: Record) -> str:
    """A dialogue meeting's purpose and agreements; a reflection's open trial actions."""
    from backend.i18n import ngettext

    if record.type == "dialogue_meeting":
        purpose = " ".join((record.data.get("purpose") or "").split())
        text = purpose[:100] + ("…" if len(purpose) > 100 else "")
        count = len(record.data.get("agreements") or [])
        if count:
            agreements = ngettext("%(num)s aftale", "%(num)s aftaler", count) % {"num": count}
            text = f"{text} – {agreements}" if text else agreements
        return text
    open_actions = record.derived.get("open_trial_actions", 0)
    if not open_actions:
        return ""
    return ngettext("%(num)s åben prøvehandling", "%(num)s åbne prøvehandlinger", open_actions) % {
        "num": open_actions
    }
