"""A parent's citizen sign-in (MitID through the municipality's OpenID Connect broker), issue 15:
the plain rule that decides whether the person who signed in is the invited guardian."""

from __future__ import annotations

import hmac

from backend.domain.cpr import CprError, normalise_cpr

#: Why a citizen sign-in is not the invited guardian (audited; never the CPR number itself).
NO_CPR_RECORDED = "no_cpr_recorded"
NO_CPR_CLAIM = "no_cpr_claim"
OTHER_PERSON = "other_person"


def guardian_match(recorded_cpr: str | None, claimed: object) -> str | None:
    """None when the CPR number the broker vouches for is the guardian's recorded one; else why
    not. A guardian without a recorded CPR number can never be matched (the code still works)."""
    if not recorded_cpr:
        return NO_CPR_RECORDED
    if not isinstance(claimed, str):
        return NO_CPR_CLAIM
    try:
        digits = normalise_cpr(claimed)
    except CprError:
        return NO_CPR_CLAIM
    return None if hmac.compare_digest(digits, recorded_cpr) else OTHER_PERSON
