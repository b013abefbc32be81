"""The links in the user menu, by what the signed-in user may do."""

from __future__ import annotations

from backend.i18n import gettext as _
from backend.web.context import RequestContext


def menu_links(ctx: RequestContext | None) -> list[tuple[str, str]]:
    if ctx is None or ctx.user is None:
        return []
    scope = ctx.scope
    if scope.is_partner and not scope.unit_ids:
        # A partner works only in forums (domain §11).
        links = [(_("Tværfaglige forummer"), "/forums"), (_("Påmindelser"), "/me/reminders")]
        if not ctx.user.is_demo and not ctx.user.oidc_subject:
            links.append((_("Totrinsbekræftelse"), "/me/second-factor"))
        return links
    links: list[tuple[str, str]] = [(_("Ikke gemte ændringer"), "/conflicts")]
    if scope.unit_ids:
        links.append((_("Tværfaglige forummer"), "/forums"))
        links.append((_("Trivselsrunder"), "/rounds"))
        links.append((_("Faglig sparring"), "/sparring"))
    links.append((_("Påmindelser"), "/me/reminders"))
    if scope.led_unit_ids:
        links.append((_("Ledelsesoverblik"), "/leader/overview"))
        links.append((_("Forfaldne opgaver i enheden"), "/leader/overdue"))
    if scope.is_admin:
        links.append((_("Administration"), "/admin"))
        links.append((_("Kommunens tal"), "/admin/reports"))
        links.append((_("Logbog over adgang"), "/admin/audit"))
        links.append((_("Kommunale indstillinger"), "/admin/settings"))
        links.append((_("Totrinsbekræftelse for brugere"), "/admin/second-factor"))
        links.append((_("Godkendelser"), "/admin/approvals"))
    if not ctx.user.is_demo and not ctx.user.oidc_subject:
        links.append((_("Totrinsbekræftelse"), "/me/second-factor"))
    return links
