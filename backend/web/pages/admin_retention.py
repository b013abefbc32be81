"""Retention for the admin: the periods per record type, a preview of what the daily job would
delete today, the children on legal hold, and running the job now."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backend.admin.retention import count_expired_audit, plan_retention, run_retention
from backend.domain.dates import today
from backend.domain.numbers import is_digits
from backend.domain.settings import MunicipalSettings, RetentionSettings, load_settings
from backend.people.models import Child, Municipality
from backend.records.registry import LABELS
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def _municipality(ctx: Admin) -> Municipality:
    return ctx.db.get(Municipality, ctx.user.municipality_id)


@router.get("/admin/retention")
def retention_page(ctx: Admin) -> Response:
    return _page(ctx)


def _page(ctx: Admin, values: dict | None = None, errors: dict | None = None, status: int = 200) -> Response:
    municipality = _municipality(ctx)
    settings = load_settings(municipality.settings).retention
    plan = plan_retention(ctx.db, municipality, today())
    child_ids = {item.child_id for group in (plan.records, plan.kept_writes, plan.tasks) for item in group}
    names = {c.id: c.name for c in ctx.db.exec(_children(child_ids))} if child_ids else {}
    ctx.audit.add("retention.preview", "retention", None, total=plan.total)
    return render(
        ctx.request,
        "admin/retention.html",
        {
            "plan": plan,
            "names": names,
            "audit_count": count_expired_audit(ctx.db),
            "settings": settings,
            "values": values or _values(settings),
            "errors": errors or {},
            "type_labels": LABELS,
            "done": done_message(ctx.request),
            "limit": 200,
        },
        status_code=status,
    )


def _children(ids: set[str]):
    from sqlmodel import select

    return select(Child).where(Child.id.in_(ids))


def _values(settings: RetentionSettings) -> dict[str, str]:
    values = {
        "kept_write_days": str(settings.kept_write_days),
        "closed_task_days": str(settings.closed_task_days),
        "audit_years": str(settings.audit_years),
        "child-until_age": str(settings.child.until_age),
        "child-years_after": str(settings.child.years_after),
    }
    for kind, rule in settings.records.items():
        values[f"records-{kind}-until_age"] = str(rule.until_age)
        values[f"records-{kind}-years_after"] = str(rule.years_after)
    return values


def _number(fields: dict[str, str], key: str, errors: dict[str, str]) -> int | None:
    text = fields.get(key, "").strip()
    if not is_digits(text) or len(text) > 4:
        errors[key] = "Skal være et helt tal."
        return None
    return int(text)


@router.post("/admin/retention/settings")
def save_settings(ctx: Admin, fields: Fields) -> Response:
    errors: dict[str, str] = {}
    raw: dict = {"records": {}}
    for kind in LABELS:
        raw["records"][kind] = {
            "until_age": _number(fields, f"records-{kind}-until_age", errors),
            "years_after": _number(fields, f"records-{kind}-years_after", errors),
        }
    raw["child"] = {
        "until_age": _number(fields, "child-until_age", errors),
        "years_after": _number(fields, "child-years_after", errors),
    }
    for key in ("kept_write_days", "closed_task_days", "audit_years"):
        raw[key] = _number(fields, key, errors)
    if not errors:
        try:
            retention = RetentionSettings.model_validate(raw)
        except ValidationError as error:
            for problem in error.errors():
                errors[_field_name(problem["loc"])] = _range_message(problem["type"])
    if errors:
        return _page(ctx, {k: v for k, v in fields.items() if k != "csrf_token"}, errors, 422)
    municipality = _municipality(ctx)
    current = load_settings(municipality.settings)
    updated = MunicipalSettings.model_validate(
        {**current.model_dump(mode="json"), "retention": retention.model_dump()}
    )
    municipality.settings = {**municipality.settings, "retention": updated.retention.model_dump(mode="json")}
    ctx.db.add(municipality)
    ctx.audit.add(
        "settings.retention", "municipality", municipality.id, retention=retention.model_dump(mode="json")
    )
    return RedirectResponse("/admin/retention?ok=settings_saved", status_code=303)


def _field_name(location: tuple) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "records" and len(parts) >= 3:
        return f"records-{parts[1]}-{parts[2]}"
    if parts and parts[0] == "child" and len(parts) >= 2:
        return f"child-{parts[1]}"
    return parts[0] if parts else "retention"


def _range_message(error_type: str) -> str:
    if error_type == "greater_than_equal":
        return "Tallet er for lille."
    if error_type == "less_than_equal":
        return "Tallet er for stort."
    return "Ugyldig værdi."


@router.post("/admin/retention/run")
def run_now(ctx: Admin) -> Response:
    result = run_retention(ctx.db)
    ctx.audit.add("retention.run_by_admin", "retention", None, **result.counts)
    return RedirectResponse("/admin/retention?ok=retention_ran", status_code=303)
