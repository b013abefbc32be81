"""The municipal settings as a form (domain §8): typed text in, validated settings or Danish
messages out. Pure: the page reads and stores, this decides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from backend.domain.messages import N_
from backend.domain.numbers import is_digits
from backend.domain.settings import LABEL_PRESETS, POSITIONS, MonthWindow, MunicipalSettings
from backend.domain.text import clean_text
from backend.domain.units import UnitKind

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
UNIT_KINDS = tuple(kind.value for kind in UnitKind)
ROUNDS_PER_YEAR = (1, 4)  # MunicipalSettings' own check
LABEL_MAX = 40
INTEGER_FIELDS = (
    "adbb_cutoff",
    "adbb_follow_up_days",
    "round_window_weeks",
    "dialogue_meeting_within_days",
    "offline_days",
    "lock_minutes",
    "forum_access_days",
)
WINDOW_FIELDS = {"adbb_first_window": "adbb_first", "adbb_second_window": "adbb_second"}
CHECKBOXES = ("parent_involvement_hint", "local_sign_in_with_sso")


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The ge/le limits the settings model declares for a field (one source of truth)."""
    metadata = model.model_fields[name].metadata
    low = next(m.ge for m in metadata if hasattr(m, "ge"))
    high = next(m.le for m in metadata if hasattr(m, "le"))
    return int(low), int(high)


def label_preset_of(labels: Mapping[str, str]) -> str:
    for name, preset in LABEL_PRESETS.items():
        if all(labels.get(key) == preset[key] for key in POSITIONS):
            return name
    return "custom"


def settings_to_form(settings: MunicipalSettings) -> dict[str, str]:
    """The form's fields for stored settings, as the text the inputs show."""
    form = {name: str(getattr(settings, name)) for name in INTEGER_FIELDS}
    for field, prefix in WINDOW_FIELDS.items():
        window: MonthWindow = getattr(settings, field)
        form[f"{prefix}_from"], form[f"{prefix}_to"] = str(window.from_month), str(window.to_month)
    for kind in UNIT_KINDS:
        form[f"rounds_{kind}"] = str(settings.rounds_per_year.get(kind, 2))
    for name in CHECKBOXES:
        form[name] = "on" if getattr(settings, name) else ""
    form["label_preset"] = label_preset_of(settings.position_labels)
    for key in POSITIONS:
        form[f"label_{key}"] = settings.position_labels.get(key, "")
    form["digest_time"], form["language"] = settings.digest_time, settings.language
    return form


def _integer(form: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    text = (form.get(name) or "").strip()
    if not text:
        errors[name] = N_("Skal udfyldes.")
        return None
    if not is_digits(text.removeprefix("-")) or len(text) > 6:
        errors[name] = N_("Skriv et helt tal.")
        return None
    value = int(text)
    if not low <= value <= high:
        errors[name] = f"Skal være mellem {low} og {high}."
        return None
    return value


def _labels(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, str] | None:
    preset = form.get("label_preset") or ""
    if preset in LABEL_PRESETS:
        return dict(LABEL_PRESETS[preset])
    if preset != "custom":
        errors["label_preset"] = N_("Vælg, hvilke betegnelser positionerne skal have.")
        return None
    labels = {key: " ".join(clean_text(form.get(f"label_{key}") or "").split()) for key in POSITIONS}
    problems: dict[str, str] = {}
    for key, text in labels.items():
        if not text:
            problems[f"label_{key}"] = N_("Skriv en betegnelse.")
        elif len(text) > LABEL_MAX:
            problems[f"label_{key}"] = f"Højst {LABEL_MAX} tegn."
    if not problems and len({text.lower() for text in labels.values()}) < len(POSITIONS):
        problems["label_concern"] = N_("De tre positioner skal have hver sin betegnelse.")
    errors.update(problems)
    return None if problems else labels


def _windows(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, dict[str, int]]:
    low, high = _bounds(MonthWindow, "from_month")
    windows: dict[str, dict[str, int]] = {}
    for field, prefix in WINDOW_FIELDS.items():
        start = _integer(form, f"{prefix}_from", low, high, errors)
        end = _integer(form, f"{prefix}_to", low, high, errors)
        if start is not None and end is not None:
            if end < start:
                errors[f"{prefix}_to"] = N_("Vinduet skal slutte efter det starter.")
            windows[field] = {"from_month": start, "to_month": end}
    first, second = windows.get("adbb_first_window"), windows.get("adbb_second_window")
    if first and second and "adbb_second_from" not in errors and second["from_month"] <= first["to_month"]:
        errors["adbb_second_from"] = N_("Den anden screening skal ligge efter vinduet for den første.")
    return windows


def parse_settings_form(form: Mapping[str, str]) -> tuple[MunicipalSettings | None, dict[str, str]]:
    """Validated settings from the form's text, or None and Danish messages by field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        name: _integer(form, name, *_bounds(MunicipalSettings, name), errors) for name in INTEGER_FIELDS
    }
    values.update(_windows(form, errors))
    values["rounds_per_year"] = {
        kind: _integer(form, f"rounds_{kind}", *ROUNDS_PER_YEAR, errors) for kind in UNIT_KINDS
    }
    values["position_labels"] = _labels(form, errors)
    for name in CHECKBOXES:
        values[name] = form.get(name) in ("on", "true", "1")
    values["digest_time"] = (form.get("digest_time") or "").strip()
    if not TIME.match(values["digest_time"]):
        errors["digest_time"] = N_("Skriv et klokkeslæt som 07:30.")
    values["language"] = form.get("language") or ""
    if values["language"] not in ("da", "en"):
        errors["language"] = N_("Vælg dansk eller engelsk.")
    if errors:
        return None, errors
    try:
        return MunicipalSettings.model_validate(values), {}
    except ValidationError:  # the checks above mirror the model; this is a safety net
        return None, {"form": N_("Indstillingerne kunne ikke gemmes. Tjek felterne og prøv igen.")}


def changes(before: MunicipalSettings, after: MunicipalSettings) -> dict[str, list[Any]]:
    """The settings that differ, as {name: [before, after]} (for the audit log)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}
