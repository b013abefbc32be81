"""What the admin pages share: the admin-only dependency and form reading (both defined once,
in `web/context.py` and `web/forms.py`) and flash messages."""

from __future__ import annotations

from fastapi import Request

from backend.i18n import N_
from backend.web.context import Admin as Admin
from backend.web.forms import Fields as Fields

#: Messages shown after a redirect (`?ok=<key>`): never data, only what happened.
DONE: dict[str, str] = {
    "unit_created": N_("Enheden er oprettet."),
    "unit_saved": N_("Enheden er gemt."),
    "room_added": N_("Stuen er tilføjet."),
    "room_removed": N_("Stuen er fjernet."),
    "role_added": N_("Rollen er givet."),
    "role_removed": N_("Rollen er fjernet."),
    "deactivated": N_("Brugeren er deaktiveret. Sessioner er afsluttet, og apparaterne er spærret."),
    "reactivated": N_("Brugeren er aktiv igen."),
    "approval_requested": N_(
        "Brugeren er administrator: handlingen venter nu på, at en anden administrator godkender den "
        "under Godkendelser. Brugeren har fået besked på e-mail."
    ),
    "approved": N_("Anmodningen er godkendt, og handlingen er udført."),
    "rejected": N_("Anmodningen er afvist."),
    "link_sent": N_("Linket er sendt til brugerens e-mail."),
    "device_revoked": N_("Apparatet er spærret. Det sletter sine data, næste gang det kontakter Opspor."),
    "child_created": N_("Barnet er oprettet."),
    "child_saved": N_("Ændringerne er gemt."),
    "moved": N_("Flytningen er gemt. Den træder i kraft på startdatoen."),
    "left": N_("Indskrivningen slutter på den valgte dato."),
    "undone": N_("Flytningen er fortrudt."),
    "hold_set": N_("Retligt tilbagehold er sat. Intet om barnet slettes, mens det gælder."),
    "hold_cleared": N_("Retligt tilbagehold er ophævet."),
    "assigned": N_("Barnet er tilføjet medarbejderens børn."),
    "unassigned": N_("Barnet er fjernet fra medarbejderens børn."),
    "handed_over": N_("Børnene er overdraget."),
    "imported": N_("Filen er importeret."),
    "settings_saved": N_("Sletteperioderne er gemt."),
    "retention_ran": N_("Sletningen er kørt."),
    "certified": N_("Certificeringen er registreret."),
    "certification_removed": N_("Certificeringen er fjernet."),
}


def done_message(request: Request) -> str:
    return DONE.get(request.query_params.get("ok", ""), "")
