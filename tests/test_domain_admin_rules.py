"""Pure rules of the administration: placements, retention dates, reading municipal CSV files."""

from datetime import date

import pytest

from backend.domain.child_csv import CsvFileError, decode, normalise_header, parse_cpr, parse_date, parse_file
from backend.domain.cpr import CprError, redact_cpr
from backend.domain.placements import PlacementError, Span, check_leaving, check_new_placement, has_left
from backend.domain.retention import add_years, expires_on, is_expired, latest_candidate_dates
from backend.domain.settings import RetentionRule, load_settings

BIRTH = date(2025, 3, 14)
HV = Span("hv", date(2025, 3, 24), None, "Sundhedsplejen")


# --- Placements ---------------------------------------------------------------------------------


def test_a_move_ends_the_open_placement_on_its_start_date() -> None:
    assert check_new_placement([HV], BIRTH, "cm", date(2026, 1, 5)) == HV


def test_a_first_placement_supersedes_nothing() -> None:
    assert check_new_placement([], BIRTH, "hv", BIRTH) is None


@pytest.mark.parametrize(
    ("unit", "starts", "ends", "message"),
    [
        ("hv", date(2026, 1, 5), None, "allerede indskrevet i Sundhedsplejen"),
        ("cm", date(2025, 3, 1), None, "før barnets fødselsdato"),
        ("cm", date(2025, 3, 24), None, "overlapper"),
        ("cm", date(2025, 3, 20), None, "overlapper"),
        ("cm", date(2026, 1, 5), date(2026, 1, 5), "Slutdatoen skal ligge efter"),
    ],
)
def test_refused_placements(unit: str, starts: date, ends: date | None, message: str) -> None:
    with pytest.raises(PlacementError, match=message):
        check_new_placement([HV], BIRTH, unit, starts, ends)


def test_a_placement_before_a_planned_move_is_an_overlap_with_the_planned_one() -> None:
    history = [
        Span("hv", date(2025, 3, 24), date(2026, 2, 1), "Sundhedsplejen"),
        Span("cm", date(2026, 2, 1), None, "Dagplejen"),
    ]
    with pytest.raises(PlacementError, match="Dagplejen"):
        check_new_placement(history, BIRTH, "inst", date(2026, 1, 10))


def test_a_closed_placement_in_a_gap_is_allowed() -> None:
    history = [Span("hv", date(2025, 3, 24), date(2025, 6, 1), "Sundhedsplejen")]
    assert check_new_placement(history, BIRTH, "cm", date(2025, 6, 1), date(2025, 9, 1)) is None


def test_leaving_needs_an_open_placement_and_a_later_date() -> None:
    assert check_leaving([HV], date(2026, 1, 1)) == HV
    with pytest.raises(PlacementError):
        check_leaving([HV], HV.starts_on)
    with pytest.raises(PlacementError):
        check_leaving([Span("hv", BIRTH, date(2025, 6, 1))], date(2026, 1, 1))


def test_a_child_has_left_when_nothing_holds_from_today() -> None:
    ended = [Span("hv", BIRTH, date(2025, 6, 1)), Span("cm", date(2025, 6, 1), date(2026, 1, 1))]
    assert has_left(ended, date(2026, 1, 1)) == date(2026, 1, 1)
    assert has_left(ended, date(2025, 12, 31)) is None
    assert has_left([HV], date(2030, 1, 1)) is None


# --- Retention ----------------------------------------------------------------------------------


def test_retention_runs_from_the_later_of_the_seventh_birthday_and_the_last_change() -> None:
    rule = RetentionRule(until_age=7, years_after=5)
    assert expires_on(rule, date(2020, 5, 1), date(2021, 1, 1)) == date(2032, 5, 1)
    assert expires_on(rule, date(2020, 5, 1), date(2029, 1, 1)) == date(2034, 1, 1)
    assert expires_on(rule, None, date(2021, 1, 1)) == date(2026, 1, 1)
    assert is_expired(rule, date(2020, 5, 1), date(2021, 1, 1), date(2032, 5, 1))
    assert not is_expired(rule, date(2020, 5, 1), date(2021, 1, 1), date(2032, 4, 30))


def test_leap_days_fall_back_to_the_28th() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_the_prefilter_never_excludes_an_expired_record() -> None:
    rule = RetentionRule(until_age=7, years_after=5)
    on = date(2033, 3, 1)
    birth_bound, change_bound = latest_candidate_dates(rule, on)
    for birth in (date(2021, 2, 28), date(2020, 2, 29), date(2021, 3, 1)):
        for change in (date(2028, 2, 29), date(2028, 3, 1), date(2027, 1, 1)):
            if is_expired(rule, birth, change, on):
                assert birth <= birth_bound and change <= change_bound


def test_default_retention_covers_every_record_type_and_is_documented_in_settings() -> None:
    settings = load_settings({}).retention
    assert settings.rule_for("adbb").years_after == 10 and settings.rule_for("adbb").until_age == 7
    assert settings.rule_for("wellbeing").years_after == 5
    assert settings.audit_years == 5 and settings.child.until_age == 7
    tuned = load_settings({"retention": {"records": {"adbb": {"until_age": 7, "years_after": 12}}}}).retention
    assert tuned.rule_for("adbb").years_after == 12 and tuned.rule_for("consent").years_after == 5


# --- CPR in free text -----------------------------------------------------------------------------


def test_cpr_like_numbers_are_redacted_from_free_text() -> None:
    assert redact_cpr("jf. 010120-4123 og 0101204123 og 010120 4123") == "jf. [CPR] og [CPR] og [CPR]"
    assert redact_cpr("telefon 20304050") == "telefon 20304050"


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-14", date(2025, 3, 14)),
        ("14-03-2025", date(2025, 3, 14)),
        ("14.3.2025", date(2025, 3, 14)),
        ("14/03/2025", date(2025, 3, 14)),
    ],
)
def test_dates_in_common_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "message"), [("31-02-2025", "findes ikke"), ("14-03-25", "kendt format")])
def test_impossible_and_ambiguous_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text)


@pytest.mark.parametrize(
    "text", ["140325-4123", "1403254123", "140325 4123", "140325.4123", " '140325-4123' "]
)
def test_cpr_in_any_common_format(text: str) -> None:
    assert parse_cpr(text, BIRTH) == "1403254123"


def test_a_cpr_that_lost_its_leading_zero_is_accepted_when_it_matches_the_birth_date() -> None:
    assert parse_cpr("10325-4123".replace("-", ""), date(2025, 3, 1)) == "0103254123"
    with pytest.raises(CprError):
        parse_cpr("103254123", date(2025, 3, 2))


def test_headers_are_normalised() -> None:
    assert normalise_header("\ufeffFødselsdato ") == "foedselsdato"
    assert normalise_header("Forælder 1 - navn") == "foraelder_1_navn"


def test_encodings_are_detected() -> None:
    assert decode("Bøje".encode("utf-8-sig")) == ("Bøje", "UTF-8 (BOM)")
    assert decode("Bøje".encode()) == ("Bøje", "UTF-8")
    assert decode("Bøje".encode("cp1252")) == ("Bøje", "Windows-1252")
    assert decode("Bøje".encode("utf-16")) == ("Bøje", "UTF-16")


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(CsvFileError, match="kolonnerne 'fødselsdato', 'startdato' mangler"):
        parse_file(b"navn;enhed\nAlma;Dagplejen\n", date(2026, 1, 1))


def test_rows_carry_their_line_numbers_even_after_blank_and_multiline_rows() -> None:
    raw = (
        "navn;fødselsdato;enhed;startdato;forælder1_navn\n"
        'Alma;2025-03-14;Dagplejen;2025-04-01;"Maria\nNielsen"\n'
        "\n"
        "Bo;2025-02-30;Dagplejen;2025-04-01;\n"
    ).encode()
    parsed = parse_file(raw, date(2026, 1, 1))
    assert [(row.line, row.errors) for row in parsed.rows] == [
        (2, []),
        (5, ["Fødselsdatoen: Datoen '2025-02-30' findes ikke."]),
    ]
    assert parsed.rows[0].guardians[0].name == "Maria Nielsen"
