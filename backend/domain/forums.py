"""Cross-disciplinary forums (domain §11): kinds, member roles, age bands, and the rules for when
a partner may read a named case."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.domain.consent import ConsentFact
from backend.domain.messages import N_

KINDS: dict[str, str] = {
    "resource_team": N_("Ressourceteam"),
    "focus_team": N_("Fokusteam"),
    "adbb_supervision": N_("ADBB-supervisionsteam"),
}
MEMBER_ROLES: dict[str, str] = {
    "convener": N_("Mødeindkalder"),
    "internal": N_("Fagperson"),
    "partner": N_("Samarbejdspartner"),
}
MEETING_STATUSES: dict[str, str] = {"planned": "Planlagt", "held": "Afholdt", "cancelled": "Aflyst"}
AGE_BANDS: dict[str, str] = {
    "0-1": N_("0–1 år"),
    "1-3": N_("1–3 år"),
    "3-6": N_("3–6 år"),
}
#: The preparation form's free-text fields, in order.
PREPARATION_FIELDS: dict[str, str] = {
    "question": N_("Spørgsmålet til forummet"),
    "tried": N_("Det har vi prøvet"),
    "parents_view": N_("Forældrenes syn"),
}
#: The consent kind (domain §5) that covers a named case: the meeting's purpose and participants.
CONSENT_KIND = "meeting"
DEFAULT_ACCESS_DAYS = 14
TEXT_MAX = 2000


def _deciding(facts: Iterable[ConsentFact], meeting_id: str, forum_id: str) -> ConsentFact | None:
    """The decision a named case rests on: the latest about the meeting — or, when there is
    none, about the forum."""
    facts = list(facts)
    for scope_id in (meeting_id, forum_id):
        relevant = [f for f in facts if f.kind == CONSENT_KIND and f.scope == scope_id]
        if relevant:
            return max(relevant, key=lambda f: f.decided_at)
    return None


def consent_holds(facts: Iterable[ConsentFact], meeting_id: str, forum_id: str) -> bool:
    """Whether a named case still rests on the parents' consent: the latest decision about the
    meeting — or, when there is none, about the forum — is `given` (a withdrawal or refusal after
    the case was put on the agenda ends it)."""
    decision = _deciding(facts, meeting_id, forum_id)
    return decision is not None and decision.state == "given"


def consent_covers(facts: Iterable[ConsentFact], meeting_id: str, forum_id: str, user_id: str) -> bool:
    """Whether the parents' consent a named case rests on holds and covers this member: they
    are among the participants the parents read and decided about. A consent recorded by staff
    on the consent form keeps no participant list (`covers` None) and covers the forum's members
    as they are, as before — the professional vouches for what the parents were told."""
    decision = _deciding(facts, meeting_id, forum_id)
    if decision is None or decision.state != "given":
        return False
    return decision.covers is None or user_id in decision.covers


def covered_ids(derived: object) -> frozenset[str] | None:
    """The user ids a consent record's participant list covers (None: it recorded no list). A
    participant without a user id (recorded before the ids were kept) covers nobody: the
    parents are asked again rather than a name being matched."""
    participants = derived.get("participants") if isinstance(derived, dict) else None
    if not isinstance(participants, list):
        return None
    return frozenset(str(p["user_id"]) for p in participants if isinstance(p, dict) and p.get("user_id"))


def uncovered(members: Iterable[tuple[str, str]], derived: object) -> list[str]:
    """The names of the forum's members (user id, name) a consent record does not cover — to
    ask the parents again; none when the consent recorded no participant list."""
    covered = covered_ids(derived)
    if covered is None:
        return []
    return sorted(name for user_id, name in members if user_id not in covered)


def participants_version(participants: list[dict[str, str]]) -> int:
    """A number that changes whenever the forum's participants change (who, name, title or
    role): the parents decide about exactly the participants they read."""
    text = "\n".join(
        f"{p.get('user_id', '')}|{p.get('name', '')}|{p.get('title', '')}|{p.get('role', '')}"
        for p in participants
    )
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def partner_may_read(
    shared_at: datetime | None, held_on: date, status: str, on: date, access_days: int
) -> bool:
    """A partner reads a named case from when its preparation is shared until `access_days`
    after the meeting; never before sharing and never for a cancelled meeting."""
    if shared_at is None or status == "cancelled":
        return False
    return on <= held_on + timedelta(days=access_days)


def access_from(on: date, access_days: int) -> date:
    """The earliest meeting date whose cases a partner can still read on `on`."""
    return on - timedelta(days=access_days)


#: The three action paths (domain §11) a case's minutes choose for the next step.
ACTION_PATHS: dict[str, str] = {
    "own_profession": N_("1 · Udvidet opmærksomhed i egen faggruppe"),
    "cross_disciplinary": N_("2 · Tværfagligt samarbejde"),
    "notification": N_("3 · Underretning til kommunen"),
}
#: At most this many "who does what by when" lines in a case's minutes.
MAX_ACTIONS = 8
#: Without a date of its own, telling the parents is due this many days after the meeting.
TELL_PARENTS_DAYS = 7


def tell_parents_due(held_on: date) -> date:
    return held_on + timedelta(days=TELL_PARENTS_DAYS)


def came_of_it(statuses: list[str]) -> str:
    """What came of an earlier plan, from its tasks' statuses: `done`, `open` or `none`."""
    if not statuses:
        return "none"
    return "done" if all(s in ("done", "cancelled") for s in statuses) else "open"


@dataclass
class ForumFigures:
    """A forum's (or a unit's) figures: cases discussed at meetings held, the action path each
    case's minutes chose, and the minutes' tasks that fell due and how many were done on time."""

    name: str = ""
    discussed: int = 0
    paths: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_PATHS, 0))
    follow_ups_due: int = 0
    follow_ups_on_time: int = 0

    def counts(self) -> dict[str, int]:
        """As the municipality report's metric keys."""
        counts = {"forum.discussed": self.discussed}
        counts |= {f"forum.path.{path}": self.paths[path] for path in ACTION_PATHS}
        counts |= {
            "forum.follow_ups_due": self.follow_ups_due,
            "forum.follow_ups_on_time": self.follow_ups_on_time,
        }
        return counts


def count_case(figures: ForumFigures, held_on: date, status: str, minutes: dict, on: date) -> None:
    """A case counts as discussed once its meeting was held (not cancelled, not in the future)."""
    if status == "cancelled" or held_on > on:
        return
    figures.discussed += 1
    if minutes.get("action_path") in ACTION_PATHS:
        figures.paths[minutes["action_path"]] += 1


def count_follow_up(
    figures: ForumFigures, due_on: date, status: str, closed_on: date | None, on: date
) -> None:
    """A minutes task is due once its date has passed or it is done; on time when done by then."""
    if status == "cancelled":
        return
    done = status == "done" and closed_on is not None
    if due_on >= on and not done:
        return
    figures.follow_ups_due += 1
    if done and closed_on <= due_on:
        figures.follow_ups_on_time += 1
