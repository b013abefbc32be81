"""What the two single sign-on kinds (OpenID Connect and SAML) answer alike: a refusal, "no
access", and the signed-in redirect — each audited under the kind's own event names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import RedirectResponse, Response

from backend.auth.provisioning import NoAccess, Provisioned
from backend.auth.signin import open_session, set_session_cookies
from backend.auth.throttle import record_attempt
from backend.i18n import N_
from backend.web.context import RequestContext
from backend.web.templating import render

LOGIN_FAILED = N_("Login mislykkedes")
NO_ACCESS = N_(
    "Du er logget ind hos kommunens login, men du har ingen rolle i Opspor. "
    "Kontakt din leder eller kommunens administrator, hvis du skal bruge Opspor."
)


@dataclass(frozen=True)
class SsoPages:
    kind: str  # "oidc" or "saml": the audit events' prefix and the session's sign-in method
    flow_cookie: str
    flow_cookie_path: str

    def throttle_key(self, ctx: RequestContext) -> str:
        return f"{self.kind}@{ctx.audit.ip}"

    def message(
        self, ctx: RequestContext, message: str, status_code: int, title: str = LOGIN_FAILED
    ) -> Response:
        return render(ctx.request, "auth_message.html", {"title": title, "message": message}, status_code)

    def ending_flow(self, response: Response) -> Response:
        response.delete_cookie(self.flow_cookie, path=self.flow_cookie_path)
        return response

    def refused(self, ctx: RequestContext, reason: str, message: str, status_code: int = 400) -> Response:
        """A Danish page, no session; counted for the throttle and audited (reason only)."""
        record_attempt(ctx.db, self.throttle_key(ctx), ctx.audit.ip, succeeded=False)
        ctx.audit.add(f"{self.kind}.failure", "user", reason=reason)
        ctx.audit.add("signin.failure", "user", reason=f"{self.kind}_{reason}")
        return self.ending_flow(self.message(ctx, message, status_code))

    def no_access(self, ctx: RequestContext, denied: NoAccess) -> Response:
        ctx.audit.add(f"{self.kind}.no_access", "user", denied.user_id, reason=denied.reason)
        for task_id in denied.released:
            ctx.audit.add("task.reassigned", "task", task_id, from_user=denied.user_id)
        ctx.audit.add("signin.failure", "user", denied.user_id, reason=f"{self.kind}_{denied.reason}")
        return self.ending_flow(self.message(ctx, NO_ACCESS, 403, title=N_("Ingen adgang")))

    def sign_in(
        self,
        ctx: RequestContext,
        provisioned: Provisioned,
        target: str,
        remember: Callable[[str], None],
    ) -> Response:
        """Open the session (audited, throttle cleared) and go to `target`; `remember(session_id)`
        keeps what the kind needs for signing out at the provider."""
        user = provisioned.user
        if provisioned.created:
            ctx.audit.add(f"{self.kind}.user_created", "user", user.id)
        if provisioned.added or provisioned.removed:
            ctx.audit.add(
                f"{self.kind}.roles_changed",
                "user",
                user.id,
                added=[list(key) for key in provisioned.added],
                removed=[list(key) for key in provisioned.removed],
            )
        for task_id in provisioned.released:
            ctx.audit.add("task.reassigned", "task", task_id, from_user=user.id)
        signed_in = open_session(ctx, user, method=self.kind)
        remember(ctx.session.id)
        record_attempt(ctx.db, self.throttle_key(ctx), ctx.audit.ip, succeeded=True)
        response = RedirectResponse(target, status_code=303)
        set_session_cookies(ctx, response, signed_in)
        return self.ending_flow(response)
