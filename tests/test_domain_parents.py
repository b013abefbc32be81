"""The plain rules of parent invitations (backend/domain/parents.py)."""

from datetime import UTC, datetime, timedelta

from backend.domain import parents

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def state(**changes):
    values = {
        "now": NOW,
        "expires": NOW + timedelta(days=1),
        "used_at": None,
        "revoked_at": None,
        "wrong_codes": 0,
    }
    return parents.invitation_state(**{**values, **changes})


def test_a_link_opens_until_revoked_used_locked_or_expired() -> None:
    assert state() == "open"
    assert state(wrong_codes=4) == "open"
    assert state(wrong_codes=5) == "locked"
    assert state(expires=NOW) == "expired"
    assert state(used_at=NOW) == "used"
    assert state(revoked_at=NOW, used_at=NOW) == "revoked"


def test_an_invitation_lasts_fourteen_days() -> None:
    assert parents.expires_at(NOW) == NOW + timedelta(days=14)


def test_each_part_fits_its_record_types() -> None:
    assert parents.part_fits("transition_parents_part", "transition")
    assert not parents.part_fits("transition_parents_part", "dialogue_meeting")
    assert parents.part_fits("meeting_preparation", "dialogue_meeting")
    assert parents.part_fits("consent", "consent") and parents.part_fits("consent", "transition")
    assert not parents.part_fits("consent", "adbb") and not parents.part_fits("other", "transition")


def test_codes_are_typed_forgivingly_but_must_be_six_digits() -> None:
    assert parents.normalised_code(" 123 456 ") == "123456" and parents.normalised_code("123-456") == "123456"
    assert parents.normalised_code("١٢٣ ٤٥٦") == "123456"  # typed on an Arabic keyboard
    assert parents.is_code_shaped("012345")
    assert not parents.is_code_shaped("12345") and not parents.is_code_shaped("١٢٣٤٥٦")


def test_answers_keep_only_the_parts_fields_and_need_one() -> None:
    answers, errors = parents.clean_answers("transition_parents_part", {"about_child": " Glad ", "x": "y"})
    assert answers == {"about_child": "Glad"} and errors == {}
    answers, errors = parents.clean_answers("transition_parents_part", {"about_child": "  "})
    assert answers == {} and list(errors) == ["about_child"]
    _, errors = parents.clean_answers("meeting_preparation", {"topics": "x" * 5001})
    assert list(errors) == ["topics"]


def test_staff_never_change_the_parents_words() -> None:
    words = [{"guardian_id": "a", "answers": {"about_child": "x"}}]
    assert not parents.parents_words_changed(None, [])
    assert not parents.parents_words_changed(words, list(words))
    assert parents.parents_words_changed(words, None)
    assert parents.parents_words_changed(None, words)
