"""The admin's retention form is read by pydantic models (backend/admin/retention.py), not by hand."""

from __future__ import annotations

import pytest

from backend.admin.retention import RetentionFormError, parse_retention_form, retention_form_fields
from backend.domain.settings import RetentionSettings

KINDS = ("adbb", "reflection")


def _form(**changes: str) -> dict[str, str]:
    defaults = RetentionSettings()
    values = {key: "5" for key in retention_form_fields(KINDS)}
    values.update({key: str(getattr(defaults, key)) for key in ("kept_write_days", "closed_task_days")})
    values["csrf_token"] = "ignored"
    values.update(changes)
    return values


def test_a_good_form_becomes_the_settings() -> None:
    settings = parse_retention_form(_form(**{"records-adbb-years_after": " 12 "}), KINDS)
    assert settings.rule_for("adbb").years_after == 12
    assert settings.child.until_age == 5


@pytest.mark.parametrize("wrong", ["", "tolv", "-1", "1.5", "12345", "１２"])
def test_not_a_whole_number_names_the_field(wrong: str) -> None:
    with pytest.raises(RetentionFormError) as refused:
        parse_retention_form(_form(**{"records-reflection-until_age": wrong}), KINDS)
    assert refused.value.errors == {"records-reflection-until_age": "Skal være et helt tal."}


def test_a_missing_field_is_named() -> None:
    form = _form()
    del form["child-years_after"]
    with pytest.raises(RetentionFormError) as refused:
        parse_retention_form(form, KINDS)
    assert refused.value.errors == {"child-years_after": "Skal være et helt tal."}


def test_out_of_range_names_the_field_and_says_which_way() -> None:
    with pytest.raises(RetentionFormError) as refused:
        parse_retention_form(_form(**{"records-adbb-years_after": "99", "audit_years": "0"}), KINDS)
    assert refused.value.errors["records-adbb-years_after"] == "Tallet er for stort."
    assert refused.value.errors["audit_years"] == "Tallet er for lille."
