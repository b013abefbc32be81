"""Issue 17 (2): an error message names its field – never the bare "Skal udfyldes", never a key."""

import pytest

from backend.records.labels import UNKNOWN_FIELD, named_errors
from backend.records.registry import KINDS
from backend.records.types import MISSING_FOR_FINAL


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_field_a_final_record_needs_is_named_in_its_message(kind) -> None:
    errors = {f"data.{path}": MISSING_FOR_FINAL for path in KINDS[kind].required_for_final}
    named = named_errors(errors, kind)
    assert set(named) == set(errors)
    for field, message in named.items():
        assert message.endswith(" skal udfyldes."), (field, message)
        assert not message.startswith(UNKNOWN_FIELD), (field, message)
        assert field.removeprefix("data.") not in message  # a label, not the key


def test_an_adbb_item_is_named_as_its_score_and_other_messages_keep_their_text() -> None:
    named = named_errors(
        {
            "data.items.facial_expression": MISSING_FOR_FINAL,
            "data.screened_on": "Datoen ligger i fremtiden.",
            "data.<script>": "Feltet kendes ikke.",
        },
        "adbb",
    )
    assert named["data.items.facial_expression"] == "Point for Ansigtsudtryk skal udfyldes."
    assert named["data.screened_on"] == "Dato for screeningen: Datoen ligger i fremtiden."
    assert named["data.<script>"] == f"{UNKNOWN_FIELD}: Feltet kendes ikke."
