"""The three action paths after a concern (issue 16; seed 002 §5.2): pure rules, no database.

Not mutually exclusive: (1) extended attention or support within one's own profession, (2)
cross-disciplinary work (the unit's forum, or the ADBB supervision team for a baby above the
cut-off), (3) a notification to the social services. Chosen with the parents where possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.domain.messages import N_

#: The paths, each a checkbox on the decision (the record's data keys).
PATHS: dict[str, str] = {
    "own_profession": N_("Indsats i egen faggruppe"),
    "cross_disciplinary": N_("Tværfagligt samarbejde"),
    "notification": N_("Underretning til kommunen"),
}
#: Where the cross-disciplinary path goes.
CROSS_ROUTES: dict[str, str] = {
    "forum": N_("Sagen på dagsordenen i enhedens tværfaglige forum"),
    "adbb_supervision": N_("Anmodning til ADBB-supervisionsteamet"),
}


@dataclass(frozen=True)
class Decision:
    own_profession: bool
    cross_disciplinary: bool
    notification: bool
    with_parents: str | None
    why_not_with_parents: str
    trial_actions: str
    follow_up_on: date | None
    cross_route: str | None
    today: date


def problems(decision: Decision) -> list[tuple[str, str]]:
    """(field, Danish message) for each thing a final decision lacks."""
    found: list[tuple[str, str]] = []
    if not (decision.own_profession or decision.cross_disciplinary or decision.notification):
        found.append(("own_profession", "Vælg mindst ét handlingsspor."))
    if decision.with_parents == "no" and not decision.why_not_with_parents.strip():
        found.append(("why_not_with_parents", "Skriv, hvorfor forældrene ikke var med til at vælge."))
    if decision.own_profession:
        if not decision.trial_actions.strip():
            found.append(("trial_actions", "Beskriv de prøvehandlinger, I vil afprøve."))
        if decision.follow_up_on is None:
            found.append(("follow_up_on", "Vælg, hvornår I følger op."))
        elif decision.follow_up_on < decision.today:
            found.append(("follow_up_on", "Opfølgningen skal ligge i dag eller senere."))
    if decision.cross_disciplinary and decision.cross_route not in CROSS_ROUTES:
        found.append(("cross_route", "Vælg forummet eller ADBB-supervisionsteamet."))
    return found


def forum_kind_for(route: str) -> str:
    """The kind of forum (`domain.forums.KINDS`) a cross-disciplinary route goes to."""
    return "adbb_supervision" if route == "adbb_supervision" else "resource_team"


def cross_task_kind(route: str, meeting_found: bool, consent_given: bool) -> str:
    """The follow-up task of the cross-disciplinary path. A named case goes on the next meeting's
    agenda only with the parents' informed consent: without it, the task is to obtain it; with it,
    to prepare the case; with no meeting planned, to bring the case (or, for a baby above the
    ADBB cut-off, to ask the supervision team)."""
    if not meeting_found:
        return "adbb_supervision_request" if route == "adbb_supervision" else "forum_case"
    return "forum_case_prepare" if consent_given else "forum_consent"
