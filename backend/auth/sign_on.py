"""What the two single sign-on kinds (OpenID Connect and SAML) share: the refusal they raise and
the Danish messages for the ways a sign-in through the municipality's login can fail."""

from __future__ import annotations

from backend.i18n import N_

FLOW_UNKNOWN = N_("Login-forsøget er udløbet eller allerede brugt. Prøv at logge ind igen.")
STATE_MISMATCH = N_("Login-svaret passer ikke til dette login-forsøg. Prøv at logge ind igen.")
PROVIDER_ERROR = N_("Kommunens login afviste login-forsøget. Prøv igen, eller kontakt en administrator.")
PROVIDER_DOWN = N_("Kommunens login svarer ikke lige nu. Prøv igen om lidt.")
ANSWER_INVALID = N_("Svaret fra kommunens login kunne ikke godkendes. Prøv at logge ind igen.")
ANSWER_EXPIRED = N_("Svaret fra kommunens login er udløbet. Prøv at logge ind igen.")
NOT_CONFIGURED = N_("Kommunens login er ikke sat op.")


class SignOnRefused(Exception):
    """A refused single sign-on: `reason` for the audit log, `message` (Danish) for the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
