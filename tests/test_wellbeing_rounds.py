"""Opening, correcting, closing and deleting well-being rounds: who may, and what is refused."""

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import today
from backend.domain.wellbeing import default_closes_on
from backend.records.models import EvaluationRound
from tests.support import add_user, children_of_unit, login, put_record, unit_named
from tests.wellbeing_support import CM, INST, add_round, audit_actions, mark, open_round, round_id_from


def _rounds(db) -> list[EvaluationRound]:
    db.expire_all()
    return list(db.exec(select(EvaluationRound)))


def test_a_leader_opens_a_round_for_their_unit(client, demo, db) -> None:
    login(client, "demo-leder")
    unit = unit_named(db, CM)
    round_id = round_id_from(open_round(client, unit.id, "Efterår 2026"))
    stored = db.get(EvaluationRound, round_id)
    assert (stored.name, stored.unit_id, stored.opens_on) == ("Efterår 2026", unit.id, today())
    assert stored.closes_on == today() + timedelta(days=34)
    [event] = audit_actions(db, "round.create")
    assert event.object_id == round_id
    page = client.get(f"/units/{unit.id}/rounds").text
    assert "Efterår 2026" in page and "åben" in page


def test_the_form_suggests_the_municipal_window(client, demo, db) -> None:
    login(client, "demo-leder")
    page = client.get(f"/units/{unit_named(db, CM).id}/rounds").text
    assert f'value="{default_closes_on(today(), 5).isoformat()}"' in page
    assert "vindue på 5 uger" in page


def test_a_pedagogue_cannot_open_a_round(client, demo, db) -> None:
    login(client, "demo-paedagog")
    unit = unit_named(db, INST)
    response = open_round(client, unit.id)
    assert response.status_code == 403
    assert "Kun enhedens leder" in response.text
    assert _rounds(db) == []
    assert "Åbn en ny runde" not in client.get(f"/units/{unit.id}/rounds").text


def test_a_leader_only_manages_rounds_of_their_own_units(client, demo, db) -> None:
    add_user(db, "leder-dagpleje", "leader", CM)
    round_id = add_round(db, INST, today(), today() + timedelta(days=20))
    login(client, "leder-dagpleje")
    inst = unit_named(db, INST).id
    assert open_round(client, inst).status_code == 404
    assert client.get(f"/units/{inst}/rounds").status_code == 404
    assert client.get(f"/rounds/{round_id}").status_code == 404
    assert client.post(f"/rounds/{round_id}/close").status_code == 404
    assert client.post(f"/rounds/{round_id}/delete").status_code == 404
    assert len(_rounds(db)) == 1
    assert round_id_from(open_round(client, unit_named(db, CM).id))


def test_an_admin_without_units_sees_no_rounds(client, demo, db) -> None:
    round_id = add_round(db, CM, today(), today() + timedelta(days=20))
    login(client, "demo-admin")
    assert client.get(f"/rounds/{round_id}").status_code == 404
    assert client.get(f"/units/{unit_named(db, CM).id}/rounds").status_code == 404


def test_refused_dates_keep_what_was_typed(client, demo, db) -> None:
    login(client, "demo-leder")
    unit = unit_named(db, CM)
    response = client.post(
        f"/units/{unit.id}/rounds",
        data={"name": "Forår <b>æøå</b>", "opens_on": "2026-13-40", "closes_on": "2026-03-01"},
    )
    assert response.status_code == 422
    assert "Skriv en rigtig dato" in response.text
    assert '<a href="#round-opens_on">Åbner: Skriv en rigtig dato' in response.text  # named (issue 17)
    assert 'value="2026-13-40"' in response.text
    assert "Forår &lt;b&gt;æøå&lt;/b&gt;" in response.text
    assert _rounds(db) == []


def test_a_round_closing_before_it_opens_or_far_away_is_refused(client, demo, db) -> None:
    login(client, "demo-leder")
    unit = unit_named(db, CM).id
    backwards = {"name": "Baglæns", "opens_on": today().isoformat(), "closes_on": today().isoformat()}
    assert "slutte efter den starter" in client.post(f"/units/{unit}/rounds", data=backwards).text
    far = {"name": "Langt ude", "opens_on": "2090-01-01", "closes_on": "2090-02-01"}
    response = client.post(f"/units/{unit}/rounds", data=far)
    assert response.status_code == 422 and "for langt ude i fremtiden" in response.text
    nameless = {"name": " ", "opens_on": today().isoformat(), "closes_on": "2090-02-01"}
    assert "Giv runden et navn" in client.post(f"/units/{unit}/rounds", data=nameless).text
    assert _rounds(db) == []


def test_rounds_of_a_unit_do_not_overlap_but_other_units_may_share_dates(client, demo, db) -> None:
    login(client, "demo-leder")
    cm, inst = unit_named(db, CM).id, unit_named(db, INST).id
    round_id_from(open_round(client, cm, "Efterår"))
    response = open_round(client, cm, "Dobbelt", opens_on=today() + timedelta(days=7))
    assert response.status_code == 422 and "overlapper en anden runde" in response.text
    round_id_from(open_round(client, inst, "Efterår"))
    round_id_from(open_round(client, cm, "Næste", opens_on=today() + timedelta(weeks=5)))
    assert len(_rounds(db)) == 3


def test_a_leader_corrects_the_dates_and_closes_a_round_early(client, demo, db) -> None:
    login(client, "demo-leder")
    round_id = round_id_from(open_round(client, unit_named(db, CM).id, "Efterår"))
    longer = (today() + timedelta(days=50)).isoformat()
    response = client.post(
        f"/rounds/{round_id}",
        data={"name": "Efterår 2026", "opens_on": today().isoformat(), "closes_on": longer},
    )
    assert response.status_code == 303
    db.expire_all()
    assert db.get(EvaluationRound, round_id).closes_on.isoformat() == longer
    assert audit_actions(db, "round.update")[0].detail["after"] == [
        "Efterår 2026",
        today().isoformat(),
        longer,
    ]

    assert client.post(f"/rounds/{round_id}/close").status_code == 303
    db.expire_all()
    assert db.get(EvaluationRound, round_id).closes_on == today()
    assert len(audit_actions(db, "round.close")) == 1


def test_closing_a_round_that_is_not_open_is_refused(client, demo, db) -> None:
    past = add_round(db, CM, today() - timedelta(days=100), today() - timedelta(days=70))
    login(client, "demo-leder")
    response = client.post(f"/rounds/{past}/close", headers={"accept": "application/json"})
    assert response.status_code == 409
    assert "ikke åben" in response.json()["detail"]


def test_a_pedagogue_cannot_correct_or_close_a_round(client, demo, db) -> None:
    round_id = add_round(db, INST, today(), today() + timedelta(days=20), name="Forår")
    login(client, "demo-paedagog")
    assert client.get(f"/rounds/{round_id}").status_code == 200
    assert client.get(f"/rounds/{round_id}/edit").status_code == 403
    data = {"name": "Ændret", "opens_on": today().isoformat(), "closes_on": today().isoformat()}
    assert client.post(f"/rounds/{round_id}", data=data).status_code == 403
    assert client.post(f"/rounds/{round_id}/close").status_code == 403
    assert client.post(f"/rounds/{round_id}/delete").status_code == 403
    db.expire_all()
    assert db.get(EvaluationRound, round_id).name == "Forår"


def test_a_round_without_marks_can_be_deleted_one_with_marks_never(client, demo, db) -> None:
    login(client, "demo-leder")
    cm = unit_named(db, CM).id
    empty = round_id_from(open_round(client, cm, "Fejl"))
    assert client.post(f"/rounds/{empty}/delete").status_code == 303
    assert _rounds(db) == []
    used = round_id_from(open_round(client, cm, "Efterår"))
    login(client, "demo-dagplejer")
    assert put_record(client, "wellbeing", children_of_unit(db, CM)[0].id, mark(used)).status_code == 201
    login(client, "demo-leder")
    assert "kan ikke slettes" in client.get(f"/rounds/{used}/edit").text
    response = client.post(f"/rounds/{used}/delete")
    assert response.status_code == 409 and "Luk den i stedet" in response.text
    assert [r.id for r in _rounds(db)] == [used]


def test_moving_a_round_start_after_its_marks_is_refused(client, demo, db) -> None:
    round_id = add_round(db, CM, today() - timedelta(days=3), today() + timedelta(days=20))
    login(client, "demo-dagplejer")
    assert put_record(client, "wellbeing", children_of_unit(db, CM)[0].id, mark(round_id)).status_code == 201
    login(client, "demo-leder")
    later = {
        "name": "Runde",
        "opens_on": (today() + timedelta(days=1)).isoformat(),
        "closes_on": (today() + timedelta(days=20)).isoformat(),
    }
    response = client.post(f"/rounds/{round_id}", data=later)
    assert response.status_code == 422 and "fra før den nye startdato" in response.text


def test_a_professional_sees_which_of_their_children_they_have_not_marked(client, demo, db) -> None:
    round_id = add_round(db, CM, today() - timedelta(days=3), today() + timedelta(days=20), name="Efterår")
    from backend.people.models import Caseload
    from tests.support import user_named

    karin = user_named(db, "demo-dagplejer")
    own = {c.child_id for c in db.exec(select(Caseload).where(Caseload.user_id == karin.id))}
    children = [c for c in children_of_unit(db, CM) if c.id in own]
    assert len(children) >= 2
    login(client, "demo-dagplejer")
    assert put_record(client, "wellbeing", children[0].id, mark(round_id)).status_code == 201
    page = client.get(f"/units/{unit_named(db, CM).id}/rounds").text
    assert "Dine børn uden din vurdering i Efterår" in page
    assert children[1].name in page
    assert children[0].name not in page
    assert f"/forms/wellbeing?child={children[1].id}&amp;round={round_id}" in page


def test_rounds_index_lists_the_callers_units(client, demo, db) -> None:
    add_round(db, CM, today(), today() + timedelta(days=20), name="Efterår")
    login(client, "demo-dagplejer")
    page = client.get("/rounds").text
    assert CM in page and INST not in page and "Åben runde: Efterår" in page
    assert db.exec(select(func.count()).select_from(EvaluationRound)).one() == 1
