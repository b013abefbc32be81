"""The building blocks of every record kind's `data` schema, and reading data against one.

Each kind declares its schema and the fields a final record must fill in its own module in
`records/kinds/` (see `records/registry.py`). Drafts may be incomplete but never malformed:
every field is checked for type and range on every save.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from backend.domain.messages import N_, VALIDATION_MESSAGES
from backend.domain.numbers import is_digits
from backend.domain.text import clean_text

TEXT_MAX = 20_000
SHORT_MAX = 300
SIGNATURE_MAX = 200_000

Text = Annotated[str, AfterValidator(clean_text), Field(max_length=TEXT_MAX)]
ShortText = Annotated[str, AfterValidator(clean_text), Field(max_length=SHORT_MAX)]
Id = Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
Score = Annotated[int, Field(ge=0, le=4)]
Position = Literal["thriving", "extra_attention", "concern"]
#: A list row's stable key (agreements, trial actions): tasks follow their row by it.
RowKey = Annotated[str, Field(pattern=r"^[0-9a-f]{8,32}$")]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


def keyed_part(name: str, keys: Iterable[str], value_type: Any) -> type[Part]:
    """A part with one optional field per key (the eight ADBB items, the four areas, …)."""
    return create_model(name, __base__=Part, **{key: (value_type | None, None) for key in keys})


class FieldError(Exception):
    """Field errors in the contract's shape: [{"field": "data.x.y", "message": "..."}]."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_data(schema: type[Part], data: Any) -> Part:
    """The typed data of a record (its kind's schema), or FieldError with Danish messages."""
    if not isinstance(data, dict):
        raise FieldError([{"field": "data", "message": N_("Skal være et objekt.")}])
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise FieldError(
            [
                {"field": ".".join(["data", *(str(p) for p in e["loc"])]), "message": _message(e)}
                for e in error.errors()
            ]
        ) from None


def _message(error: Any) -> str:

    if error["type"] in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
        limit = (error.get("ctx") or {}).get("max_length")
        return (
            f"Teksten er for lang (højst {limit:,} tegn).".replace(",", ".")
            if limit
            else N_("Teksten er for lang.")
        )
    return VALIDATION_MESSAGES.get(error["type"], N_("Ugyldig værdi."))


def get_path(values: Any, path: str) -> Any:
    """The value at a dotted path in nested dicts/lists (None when absent)."""
    current = values
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and is_digits(part) and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


#: The message for a field a final record must fill (the form names the field in front of it).
MISSING_FOR_FINAL = N_("Skal udfyldes, før registreringen kan afsluttes.")


def missing_for_final(required: Iterable[str], data: dict) -> list[dict[str, str]]:
    return [
        {"field": f"data.{path}", "message": MISSING_FOR_FINAL}
        for path in required
        if get_path(data, path) in (None, "", [])
    ]
