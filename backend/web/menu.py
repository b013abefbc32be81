"""The links in the user menu, by what the signed-in user may do."""

from __future__ import annotations

from backend.domain.start import ADMIN_HOME, FORUMS, LEADER_OVERVIEW, start_path
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
        if not scope.unit_ids:
            links.append((_("Tværfaglige forummer"), "/forums"))
        links.append((_("Kommunens tal"), "/admin/reports"))
        links.append((_("Logbog over adgang"), "/admin/audit"))
        links.append((_("Kommunale indstillinger"), "/admin/settings"))
        links.append((_("Totrinsbekræftelse for brugere"), "/admin/second-factor"))
        links.append((_("Godkendelser"), "/admin/approvals"))
    if not ctx.user.is_demo and not ctx.user.oidc_subject:
        links.append((_("Totrinsbekræftelse"), "/me/second-factor"))
    return links


def start_of(ctx: RequestContext) -> str:
    """The signed-in user's start page (backend/domain/start.py)."""
    scope = ctx.scope
    return start_path(
        is_professional=scope.is_professional,
        leads=bool(scope.led_unit_ids),
        is_admin=scope.is_admin,
        is_partner=scope.is_partner and not scope.unit_ids,
    )


def start_tab(ctx: RequestContext | None) -> tuple[str, str]:
    """The tab bar's first tab: (label, address) of the user's start page."""
    start = start_of(ctx) if ctx is not None and ctx.user is not None else "/"
    if start == LEADER_OVERVIEW:
        return _("Overblik"), start
    if start == ADMIN_HOME:
        return _("Administration"), start
    if start == FORUMS:
        return _("Møder"), start
    return _("I dag"), start
