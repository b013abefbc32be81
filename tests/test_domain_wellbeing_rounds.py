"""Pure rules of well-being rounds, marks and the joint assessment, and the settings form."""

from datetime import date

import pytest

from backend.domain import wellbeing
from backend.domain.settings import MunicipalSettings
from backend.domain.settings_form import changes, label_preset_of, parse_settings_form, settings_to_form
from backend.domain.wellbeing import Period

TODAY = date(2026, 10, 1)


def test_the_default_round_window_is_the_municipal_number_of_weeks_both_days_counted() -> None:
    assert wellbeing.default_closes_on(date(2026, 9, 1), 5) == date(2026, 10, 5)
    assert wellbeing.default_closes_on(date(2026, 9, 1), 1) == date(2026, 9, 7)


def test_a_round_is_upcoming_then_open_through_its_last_day_then_closed() -> None:
    period = Period(date(2026, 9, 1), date(2026, 10, 5))
    assert wellbeing.round_state(period, date(2026, 8, 31)) == "upcoming"
    assert wellbeing.round_state(period, date(2026, 9, 1)) == "open"
    assert wellbeing.round_state(period, date(2026, 10, 5)) == "open"
    assert wellbeing.round_state(period, date(2026, 10, 6)) == "closed"


def test_a_round_must_close_after_it_opens() -> None:
    same_day = wellbeing.round_date_problems(Period(TODAY, TODAY), [], TODAY)
    assert same_day == {"closes_on": "Runden skal slutte efter den starter."}
    assert "closes_on" in wellbeing.round_date_problems(Period(TODAY, date(2026, 9, 1)), [], TODAY)


@pytest.mark.parametrize(
    ("opens_on", "closes_on", "field"),
    [
        (date(2090, 1, 1), date(2090, 2, 1), "opens_on"),
        (date(2020, 1, 1), date(2020, 2, 1), "opens_on"),
        (date(2026, 10, 1), date(2027, 6, 1), "closes_on"),
    ],
)
def test_absurd_round_dates_are_refused(opens_on: date, closes_on: date, field: str) -> None:
    problems = wellbeing.round_date_problems(Period(opens_on, closes_on), [], TODAY)
    assert list(problems) == [field]


def test_rounds_of_a_unit_may_not_overlap_but_may_follow_each_other() -> None:
    autumn = Period(date(2026, 9, 1), date(2026, 10, 5))
    overlapping = wellbeing.round_date_problems(Period(date(2026, 10, 5), date(2026, 11, 1)), [autumn], TODAY)
    assert "overlapper" in overlapping["opens_on"] and "1.9.2026 – 5.10.2026" in overlapping["opens_on"]
    following = Period(date(2026, 10, 6), date(2026, 11, 1))
    assert wellbeing.round_date_problems(following, [autumn], TODAY) == {}


def test_new_marks_only_while_the_round_is_open() -> None:
    period = Period(date(2026, 9, 1), date(2026, 10, 5))
    assert wellbeing.mark_window_problem(period, date(2026, 9, 15)) is None
    assert "åbner først 1.9.2026" in wellbeing.mark_window_problem(period, date(2026, 8, 1))
    assert "lukkede 5.10.2026" in wellbeing.mark_window_problem(period, date(2026, 10, 6))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hun er i den gule zone", ["gule"]),
        ("GRØN på alle områder, men rødt ved sprog", ["GRØN", "rødt"]),
        ("green and yellow, red", ["green", "yellow", "red"]),
        ("Gul, gul og atter gul", ["Gul"]),
        ("Hun leger på gulvet med Rødgaard-familiens hund og grønsager", []),
        ("Ida trives og leger gerne med de andre børn.", []),
        (None, []),
    ],
)
def test_colour_words_are_found_as_whole_words_only(text: str | None, found: list[str]) -> None:
    assert wellbeing.colour_words(text) == found


def test_the_joint_assessment_starts_from_what_the_raters_agree_on() -> None:
    first = {"cognitive": "thriving", "emotional": "concern", "overall": "extra_attention", "context": None}
    second = {"cognitive": "thriving", "emotional": "extra_attention", "overall": "extra_attention"}
    agreed = wellbeing.prefill_joint([first, second])
    assert agreed == {"cognitive": "thriving", "overall": "extra_attention"}
    assert wellbeing.prefill_joint([]) == {}


def test_flat_positions_reads_a_records_data() -> None:
    data = {"areas": {"social": "concern"}, "overall": "extra_attention", "kind": "individual"}
    flat = wellbeing.flat_positions(data)
    assert flat["social"] == "concern" and flat["overall"] == "extra_attention" and flat["cognitive"] is None


@pytest.mark.parametrize(
    ("overall", "decision", "needed"),
    [
        ("thriving", "none", False),
        ("thriving", "dialogue_meeting", True),
        ("extra_attention", "action_plan", True),
        ("concern", "notification", True),
        (None, None, False),
    ],
)
def test_a_dialogue_meeting_follows_a_child_not_thriving_or_the_teams_decision(
    overall: str | None, decision: str | None, needed: bool
) -> None:
    assert wellbeing.needs_dialogue_meeting(overall, decision) is needed


def test_no_further_action_is_refused_for_a_child_not_thriving() -> None:
    assert wellbeing.decision_problem("concern", "none")
    assert wellbeing.decision_problem("extra_attention", "none")
    assert wellbeing.decision_problem("thriving", "none") is None
    assert wellbeing.decision_problem("concern", "dialogue_meeting") is None


def test_history_is_oldest_first_with_movement_between_rounds() -> None:
    history = wellbeing.position_history(
        [
            ("Efterår 2026", date(2026, 9, 1), "thriving"),
            ("Forår 2026", date(2026, 3, 1), "extra_attention"),
            ("Forår 2027", date(2027, 3, 1), "thriving"),
            ("Efterår 2025", date(2025, 9, 1), "thriving"),
        ]
    )
    assert [point.round_name for point in history] == [
        "Efterår 2025",
        "Forår 2026",
        "Efterår 2026",
        "Forår 2027",
    ]
    assert [point.movement for point in history] == [None, "worse", "better", "same"]


# --- The municipal settings form --------------------------------------------------------------


def test_stored_settings_shown_in_the_form_parse_back_to_the_same_settings() -> None:
    settings = MunicipalSettings(
        adbb_cutoff=7, parent_involvement_hint=True, rounds_per_year={"childminding": 3}
    )
    parsed, errors = parse_settings_form(settings_to_form(settings))
    assert errors == {}
    assert parsed.adbb_cutoff == 7 and parsed.parent_involvement_hint is True
    assert parsed.rounds_per_year["childminding"] == 3


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("adbb_cutoff", "fem", "Skriv et helt tal."),
        ("adbb_cutoff", "33", "Skal være mellem 1 og 32."),
        ("adbb_cutoff", "", "Skal udfyldes."),
        ("round_window_weeks", "0", "Skal være mellem 1 og 26."),
        ("offline_days", "9" * 40, "Skriv et helt tal."),
        ("rounds_childminding", "5", "Skal være mellem 1 og 4."),
        ("adbb_first_to", "1", "Vinduet skal slutte efter det starter."),
        ("adbb_second_from", "3", "Den anden screening skal ligge efter vinduet for den første."),
        ("digest_time", "25:00", "Skriv et klokkeslæt som 07:30."),
        ("language", "de", "Vælg dansk eller engelsk."),
        ("label_preset", "rainbow", "Vælg, hvilke betegnelser positionerne skal have."),
    ],
)
def test_bad_settings_get_a_danish_message_on_their_field(field: str, typed: str, message: str) -> None:
    form = settings_to_form(MunicipalSettings())
    form[field] = typed
    parsed, errors = parse_settings_form(form)
    assert parsed is None
    assert errors[field] == message


def test_label_presets_and_custom_labels() -> None:
    form = settings_to_form(MunicipalSettings())
    form["label_preset"] = "colours"
    parsed, _ = parse_settings_form(form)
    assert parsed.position_labels == {"thriving": "Grøn", "extra_attention": "Gul", "concern": "Rød"}
    assert label_preset_of(parsed.position_labels) == "colours"
    form.update(label_preset="custom", label_thriving="  Godt  på vej ", label_extra_attention="Undren")
    form["label_concern"] = "Bekymring"
    parsed, _ = parse_settings_form(form)
    assert parsed.position_labels["thriving"] == "Godt på vej"
    assert label_preset_of(parsed.position_labels) == "custom"


def test_custom_labels_must_be_filled_and_distinct() -> None:
    form = settings_to_form(MunicipalSettings())
    form.update(label_preset="custom", label_thriving="", label_concern="x" * 41)
    assert parse_settings_form(form)[1] == {
        "label_thriving": "Skriv en betegnelse.",
        "label_concern": "Højst 40 tegn.",
    }
    form.update(label_thriving="Trivsel", label_extra_attention="trivsel", label_concern="Bekymring")
    assert parse_settings_form(form)[1] == {
        "label_concern": "De tre positioner skal have hver sin betegnelse."
    }


def test_changes_lists_only_what_differs() -> None:
    before = MunicipalSettings()
    after = MunicipalSettings(adbb_cutoff=6, offline_days=3)
    assert changes(before, after) == {"adbb_cutoff": [5, 6], "offline_days": [7, 3]}
    assert changes(before, before) == {}
