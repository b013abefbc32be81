"""Separation of duties for admin powers over accounts (plain rules, no I/O).

- An admin never gives itself a role (any role, any unit): another admin does, or the operator
  with `opspor create-user`.
- An action on **another admin's** account — a second-factor reset, a password link, a role
  given or taken, deactivation or reactivation — is only requested; a second admin approves or
  rejects it. Neither the requester nor (for a role given) the admin who would get the role can
  approve it: otherwise one person would have granted themselves a power.
- Actions on non-admins, and an admin's actions on its own account (other than a role), take
  effect at once, as before.
- The affected person is told by e-mail of every request and every action taken on their
  account (`backend/admin/duties.py`); password links go only to the person, never to the
  admin's screen.
"""

from __future__ import annotations

from backend.domain.messages import N_

TOTP_RESET = "totp_reset"
PASSWORD_LINK = "password_link"  # noqa: S105 - an action name
ROLE_ADD = "role_add"
ROLE_REMOVE = "role_remove"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"

ACTIONS: dict[str, str] = {
    TOTP_RESET: N_("Nulstil totrinsbekræftelse"),
    PASSWORD_LINK: N_("Send engangslink til adgangskode"),
    ROLE_ADD: N_("Giv en rolle"),
    ROLE_REMOVE: N_("Fjern en rolle"),
    DEACTIVATE: N_("Deaktivér brugeren"),
    REACTIVATE: N_("Genaktivér brugeren"),
}

SELF_GRANT = N_("Du kan ikke give dig selv en rolle. Bed en anden administrator om det.")
OWN_REQUEST = N_("Du kan ikke godkende din egen anmodning. En anden administrator skal godkende den.")
OWN_GRANT = N_("Du kan ikke godkende en rolle til dig selv. En tredje administrator skal godkende den.")
ALREADY_DECIDED = N_("Anmodningen er allerede afgjort.")


def grant_refusal(actor_id: str, target_id: str) -> str:
    """Why `actor_id` may not give `target_id` a role ("" when it may)."""
    return SELF_GRANT if actor_id == target_id else ""


def needs_second_admin(actor_id: str, target_id: str, target_is_admin: bool) -> bool:
    """Whether an action by `actor_id` on `target_id`'s account waits for another admin."""
    return target_is_admin and actor_id != target_id


def decision_refusal(
    *, action: str, status: str, requested_by_id: str, target_id: str, decider_id: str
) -> str:
    """Why `decider_id` may not approve or reject a request ("" when it may)."""
    if status != "pending":
        return ALREADY_DECIDED
    if decider_id == requested_by_id:
        return OWN_REQUEST
    if action == ROLE_ADD and decider_id == target_id:
        return OWN_GRANT
    return ""
