"""Which reminders a user wants: kind groups and the two ways of pushing, in `User.preferences`.

Stored as `preferences["reminders"] = {"groups": [...], "digest": bool, "urgent": bool}`;
a user who never chose gets everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.i18n import N_

#: Task kinds by the group a user turns on or off. Kinds not listed are in "other".
GROUPS: dict[str, frozenset[str]] = {
    "adbb": frozenset({"adbb_first", "adbb_second", "adbb_follow_up"}),
    "rounds": frozenset({"round_assessment"}),
    "meetings": frozenset(
        {
            "dialogue_meeting",
            "next_dialogue_meeting",
            "agreement",
            "trial_action_follow_up",
            "reflection_minutes",
            "parent_involvement_hint",
        }
    ),
    "transitions": frozenset(
        {
            "transition_description",
            "transition_arrived",
            "transition_conversation",
            "transition_evaluation",
        }
    ),
    "other": frozenset(),
}

GROUP_LABELS: dict[str, str] = {
    "adbb": N_("ADBB-screeninger"),
    "rounds": N_("Trivselsrunder"),
    "meetings": N_("Dialogmøder, aftaler og prøvehandlinger"),
    "transitions": N_("Overgange"),
    "other": N_("Andre opgaver"),
}


def group_of(kind: str) -> str:
    for group, kinds in GROUPS.items():
        if kind in kinds:
            return group
    return "other"


@dataclass(frozen=True)
class ReminderPreferences:
    groups: frozenset[str]
    digest: bool = True
    urgent: bool = True

    def wants(self, kind: str) -> bool:
        return group_of(kind) in self.groups

    def as_json(self) -> dict:
        return {"groups": sorted(self.groups), "digest": self.digest, "urgent": self.urgent}


def preferences_of(raw_preferences: dict | None) -> ReminderPreferences:
    raw = (raw_preferences or {}).get("reminders")
    if not isinstance(raw, dict):
        return ReminderPreferences(groups=frozenset(GROUPS))
    groups = raw.get("groups")
    chosen = frozenset(g for g in groups if g in GROUPS) if isinstance(groups, list) else frozenset(GROUPS)
    return ReminderPreferences(
        groups=chosen, digest=raw.get("digest", True) is True, urgent=raw.get("urgent", True) is True
    )
