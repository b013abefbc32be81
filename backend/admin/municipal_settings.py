"""The municipality's settings (domain §8) as the admin reads and changes them: every read and
every change audited; settings other areas add to the model are kept as stored."""

from __future__ import annotations

from backend.admin.base import AdminContext
from backend.domain.settings import MunicipalSettings, load_settings
from backend.domain.settings_form import changes
from backend.people.models import Municipality


def _municipality(ctx: AdminContext) -> Municipality:
    return ctx.db.get(Municipality, ctx.user.municipality_id)


def read_settings(ctx: AdminContext) -> MunicipalSettings:
    municipality = _municipality(ctx)
    ctx.audit.add("settings.read", "municipality", municipality.id)
    return load_settings(municipality.settings)


def save_settings(ctx: AdminContext, settings: MunicipalSettings) -> dict[str, list]:
    """Store the settings; returns what changed (nothing stored or audited when nothing did)."""
    municipality = _municipality(ctx)
    changed = changes(load_settings(municipality.settings), settings)
    if changed:
        municipality.settings = {**(municipality.settings or {}), **settings.model_dump(mode="json")}
        ctx.db.add(municipality)
        ctx.audit.add("settings.update", "municipality", municipality.id, changed=changed)
    return changed
