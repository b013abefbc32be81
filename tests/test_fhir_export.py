"""FHIR export in KL Gateway Children's shapes (issue 18): the child bundle, "Send til journal"
and the incremental delivery — structure, conformance to the guide's facts, access, CPR, audit."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Child, Municipality
from backend.records.models import EvaluationRound, Record
from tests.admin_support import events, new_client
from tests.fhir_support import (
    QUESTIONNAIRES,
    check_citizen,
    check_delivery_report,
    check_response,
    parse_bundle,
    questionnaire_model,
)
from tests.support import adbb_data, add_user, child_aged, put_record, unit_named, user_named

SOR = "123456789012345"
TYPES = ("adbb", "wellbeing")
ADBB = "http://fhir.kl.dk/children/Questionnaire/klgateway-children-adbb"
TOPI = "http://fhir.kl.dk/children/Questionnaire/klgateway-children-topi"
AREAS = {
    "cognitive": "thriving",
    "emotional": "thriving",
    "social": "extra_attention",
    "physical": "thriving",
}


def _with_sor(db) -> None:
    municipality = db.exec(select(Municipality)).first()
    municipality.settings = {**municipality.settings, "sor_code": SOR}
    db.add(municipality)
    db.commit()


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def screened(client, db, demo) -> dict:
    """A health-visiting child with a CPR number, one final ADBB screening (corrected once) and a draft."""
    _with_sor(db)
    child = child_aged(db, "Sundhedsplejen Nord", 3, 20)
    if child.cpr is None:
        child.cpr = "0101209995"
        db.add(child)
        db.commit()
    hv = new_client(client.app, "demo-sundhedsplejerske")
    day = today().isoformat()
    final = put_record(hv, "adbb", child.id, adbb_data(day, 6))
    assert final.status_code == 201, final.text
    draft = put_record(hv, "adbb", child.id, adbb_data(day, 2), status="draft")
    assert draft.status_code == 201, draft.text
    return {
        "child": child,
        "cpr": child.cpr,
        "final": final.json()["id"],
        "draft": draft.json()["id"],
        "hv": hv,
    }


def test_the_guides_questionnaires_are_valid_fhir() -> None:
    for url in (ADBB, TOPI):
        questionnaire = questionnaire_model(url)
        assert questionnaire.url == url
    assert [i["linkId"] for i in QUESTIONNAIRES[ADBB]["item"]][-1] == "score"


def test_the_health_visitor_exports_the_child_with_cpr_and_the_final_screening(client, db, screened) -> None:
    response = screened["hv"].get(f"/api/fhir/children/{screened['child'].id}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    parse_bundle(bundle)
    assert bundle["type"] == "collection"
    (patient,) = _resources(bundle, "Patient")
    check_citizen(patient, cpr=screened["cpr"])
    assert patient["managingOrganization"]["identifier"] == {
        "use": "official",
        "system": "urn:oid:1.2.208.176.1.1",
        "value": SOR,
    }
    (answer,) = _resources(bundle, "QuestionnaireResponse")  # the draft is not exported
    check_response(answer, author_allowed=True)
    assert answer["id"] == screened["final"] and answer["questionnaire"] == ADBB
    assert answer["status"] == "completed" and answer["authored"] == today().isoformat()
    assert answer["subject"]["reference"] == f"urn:uuid:{patient['id']}"
    scores = {i["linkId"]: i["answer"][0]["valueInteger"] for i in answer["item"]}
    assert scores["score"] == 6 and len(scores) == 9
    (author,) = _resources(bundle, "Practitioner")
    assert answer["author"]["reference"] == f"urn:uuid:{author['id']}"
    assert author["id"] == user_named(db, "demo-sundhedsplejerske").id
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert answer["subject"]["reference"] in full_urls and answer["author"]["reference"] in full_urls
    assert [e.child_id for e in events(db, "fhir.child_export")] == [screened["child"].id]
    assert [e.object_id for e in events(db, "fhir.record_export")] == [screened["final"]]


def test_the_cpr_number_goes_only_to_the_admin_and_the_health_visitor(client, db, screened) -> None:
    path = f"/api/fhir/children/{screened['child'].id}"
    leader = new_client(client.app, "demo-leder").get(path)
    assert leader.status_code == 200
    assert screened["cpr"] not in leader.text
    (patient,) = _resources(leader.json(), "Patient")
    check_citizen(patient, cpr=None)
    assert patient["identifier"][0]["value"] == screened["child"].id
    admin = new_client(client.app, "demo-admin").get(path)
    assert admin.status_code == 200
    (patient,) = _resources(admin.json(), "Patient")
    check_citizen(patient, cpr=screened["cpr"])
    assert [r["id"] for r in _resources(admin.json(), "QuestionnaireResponse")] == [screened["final"]]


def test_out_of_scope_callers_get_404_and_nothing_is_audited(client, db, screened) -> None:
    add_user(db, "fhir-partner", "partner", None)  # a partner on no meeting agenda
    child_path = f"/api/fhir/children/{screened['child'].id}"
    record_path = f"/api/fhir/records/{screened['final']}"
    for username in ("demo-dagplejer", "demo-paedagog", "fhir-partner"):
        other = new_client(client.app, username)
        for path in (child_path, record_path, "/api/fhir/delivery"):
            response = other.get(path)
            assert response.status_code == 404, (username, path, response.text)
            assert screened["cpr"] not in response.text
    hv = screened["hv"]
    assert hv.get(f"/api/fhir/records/{screened['draft']}").status_code == 404  # not final
    assert hv.get("/api/fhir/children/not-an-id").status_code == 404
    assert hv.get("/api/fhir/delivery").status_code == 404  # admin only
    assert new_client(client.app, "demo-leder").get("/api/fhir/delivery").status_code == 404
    assert new_client(client.app).get(child_path).status_code == 401
    assert events(db, "fhir.child_export") == [] and events(db, "fhir.record_export") == []
    assert events(db, "fhir.delivery") == []


def test_send_til_journal_downloads_the_record_from_its_page(client, db, screened) -> None:
    hv = screened["hv"]
    page = hv.get(f"/records/{screened['final']}")
    assert page.status_code == 200
    link = f'href="/api/fhir/records/{screened["final"]}" download'
    assert link in page.text and "Send til journal" in page.text
    assert "/api/fhir/records/" not in hv.get(f"/records/{screened['draft']}").text
    response = hv.get(f"/api/fhir/records/{screened['final']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="opspor-journal-{screened["final"]}.json"'
    )
    bundle = response.json()
    parse_bundle(bundle)
    (patient,) = _resources(bundle, "Patient")
    check_citizen(patient, cpr=screened["cpr"])
    (answer,) = _resources(bundle, "QuestionnaireResponse")
    check_response(answer, author_allowed=True)
    assert [e.object_id for e in events(db, "fhir.record_export")] == [screened["final"]]
    # A colleague who may read the record downloads it too, without the CPR number.
    leader = new_client(client.app, "demo-leder").get(f"/api/fhir/records/{screened['final']}")
    assert leader.status_code == 200 and screened["cpr"] not in leader.text


def test_a_joint_assessment_is_a_topi_answer_and_individual_marks_stay_home(client, db, demo) -> None:
    _with_sor(db)
    child = child_aged(db, "Dagplejen Syd", 0, 72)
    round_ = EvaluationRound(
        unit_id=unit_named(db, "Dagplejen Syd").id,
        name="Forår",
        opens_on=today(),
        closes_on=today(),
        created_by_id=user_named(db, "demo-dagplejer").id,
    )
    db.add(round_)
    db.commit()
    cm = new_client(client.app, "demo-dagplejer")
    base = {"round_id": round_.id, "areas": AREAS, "overall": "extra_attention"}
    individual = put_record(cm, "wellbeing", child.id, {**base, "kind": "individual"})
    joint = put_record(
        cm,
        "wellbeing",
        child.id,
        {**base, "kind": "joint", "summary": "Leger alene", "decision": "dialogue_meeting"},
    )
    assert individual.status_code == 201 and joint.status_code == 201, joint.text
    bundle = cm.get(f"/api/fhir/children/{child.id}").json()
    parse_bundle(bundle)
    (answer,) = _resources(bundle, "QuestionnaireResponse")
    check_response(answer, author_allowed=True)
    assert answer["id"] == joint.json()["id"] and answer["questionnaire"] == TOPI
    assert answer["item"] == [{"linkId": "1vurdering", "answer": [{"valueString": "Gul"}]}]
    assert answer["authored"] == today().isoformat()
    assert "Leger alene" not in str(bundle)
    page = cm.get(f"/records/{joint.json()['id']}").text
    assert f"/api/fhir/records/{joint.json()['id']}" in page
    assert "/api/fhir/records/" not in cm.get(f"/records/{individual.json()['id']}").text
    assert cm.get(f"/api/fhir/records/{individual.json()['id']}").status_code == 404


def _deliver(admin, **params) -> tuple[dict, str, bool]:
    response = admin.get("/api/fhir/delivery", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    parse_bundle(bundle)
    assert bundle["type"] == "collection" and "link" not in bundle and "total" not in bundle
    for entry in bundle["entry"]:
        report = entry["resource"]
        check_delivery_report(report)
        patients = _resources(report, "Patient")
        assert len(patients) == 1 and report["entry"][0]["resource"] is not None
        for answer in _resources(report, "QuestionnaireResponse"):
            check_response(answer, author_allowed=False)
            assert answer["subject"]["reference"] == f"urn:uuid:{patients[0]['id']}"
    return bundle, response.headers["x-opspor-cursor"], "link" in response.headers


def _answers(bundle: dict) -> list[dict]:
    return [a for e in bundle["entry"] for a in _resources(e["resource"], "QuestionnaireResponse")]


def test_the_delivery_carries_a_correction_under_the_same_id_and_continues_from_its_cursor(
    client, db, screened
) -> None:
    admin = new_client(client.app, "demo-admin")
    bundle, cursor, more = _deliver(admin, since="2000-01-01")
    assert not more
    (first,) = _answers(bundle)
    assert first["id"] == screened["final"] and first["status"] == "completed"
    (report,) = [e["resource"] for e in bundle["entry"]]
    check_citizen(_resources(report, "Patient")[0], cpr=screened["cpr"])
    again, same_cursor, _ = _deliver(admin, cursor=cursor)
    assert _answers(again) == [] and same_cursor == cursor
    corrected = put_record(
        screened["hv"],
        "adbb",
        screened["child"].id,
        adbb_data(today().isoformat(), 9),
        record_id=screened["final"],
        base_version=1,
    )
    assert corrected.status_code == 200, corrected.text
    bundle, next_cursor, _ = _deliver(admin, cursor=cursor)
    (second,) = _answers(bundle)
    assert second["id"] == first["id"] and second["status"] == "amended"
    assert second["meta"]["versionId"] == "2"
    assert {i["linkId"]: i["answer"][0]["valueInteger"] for i in second["item"]}["score"] == 9
    assert next_cursor != cursor
    assert _answers(_deliver(admin, since=today().isoformat())[0])[0]["id"] == first["id"]
    assert _answers(_deliver(admin, since="2999-01-01T00:00:00Z")[0]) == []
    assert len(events(db, "fhir.delivery")) == 3 and all(
        e.object_type == "child" for e in events(db, "fhir.delivery")
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "i går"}, "since"),
        ({"since": "2024-13-01"}, "since"),
        ({"since": "2024-01-01T10:00:00"}, "since"),
        ({"cursor": "nonsense"}, "cursor"),
        ({"cursor": "x" * 300}, "cursor"),
        ({"count": "0"}, "count"),
        ({"count": "500"}, "count"),
    ],
)
def test_bad_delivery_parameters_get_a_danish_message_naming_the_field(client, demo, params, field) -> None:
    response = new_client(client.app, "demo-admin").get("/api/fhir/delivery", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(f"{field}:")


def test_every_final_adbb_and_joint_assessment_of_the_demo_municipality_exports_and_validates(
    client, db, demo_full
) -> None:
    _with_sor(db)
    records = [
        r
        for r in db.exec(
            select(Record).where(Record.status == "final", Record.type.in_(("adbb", "wellbeing")))
        )
        if r.type == "adbb" or r.data.get("kind") == "joint"
    ]
    assert {r.type for r in records} == {"adbb", "wellbeing"}
    admin = new_client(client.app, "demo-admin")
    exported: dict[str, dict] = {}
    for child_id in sorted({r.child_id for r in records}):
        response = admin.get(f"/api/fhir/children/{child_id}")
        assert response.status_code == 200
        bundle = response.json()
        parse_bundle(bundle)
        (patient,) = _resources(bundle, "Patient")
        child = db.get(Child, child_id)
        check_citizen(patient, cpr=child.cpr)
        for answer in _resources(bundle, "QuestionnaireResponse"):
            check_response(answer, author_allowed=True)
            exported[answer["id"]] = answer
    assert set(exported) == {r.id for r in records}
    for record in records:
        if record.type == "adbb":
            assert exported[record.id]["authored"] == record.data["screened_on"]
            total = {i["linkId"]: i["answer"][0]["valueInteger"] for i in exported[record.id]["item"]}[
                "score"
            ]
            assert total == record.derived["total"]
    # The incremental delivery, page by page, carries the same records exactly once.
    delivered, cursor, pages = [], None, 0
    while True:
        params = {"count": 7, **({"cursor": cursor} if cursor else {"since": "2000-01-01"})}
        bundle, cursor, more = _deliver(admin, **params)
        delivered += [a["id"] for a in _answers(bundle)]
        pages += 1
        if not more:
            break
    assert sorted(delivered) == sorted(exported) and pages > 1
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)


def test_another_municipalitys_admin_gets_neither_the_child_nor_the_delivery(client, db, screened) -> None:
    from backend.auth.passwords import hash_password
    from backend.people.models import RoleAssignment, User

    other = Municipality(name="Andenkommune", settings={"sor_code": "987654321098765"})
    db.add(other)
    db.flush()
    admin = User(
        municipality_id=other.id,
        username="andet-admin",
        display_name="Anden Admin",
        password_hash=hash_password("demo"),
        is_demo=True,
    )
    db.add(admin)
    db.flush()
    db.add(RoleAssignment(user_id=admin.id, role="admin", unit_id=None))
    db.commit()
    foreign = new_client(client.app, "andet-admin")
    assert foreign.get(f"/api/fhir/children/{screened['child'].id}").status_code == 404
    assert foreign.get(f"/api/fhir/records/{screened['final']}").status_code == 404
    bundle, _cursor, more = _deliver(foreign, since="2000-01-01")
    assert bundle["entry"] == [] and not more
    assert screened["cpr"] not in str(bundle)


def test_without_a_sor_code_the_municipality_id_stands_in_and_the_setting_is_checked() -> None:
    from pydantic import ValidationError

    from backend.domain.settings import load_settings
    from backend.fhir.mapping import citizen

    patient = citizen("c-1", "0101209995", "m-1", "", show_cpr=False)
    assert patient["managingOrganization"] == {
        "identifier": {"use": "secondary", "system": "urn:opspor:municipality-id", "value": "m-1"}
    }
    assert patient["identifier"] == [{"use": "secondary", "system": "urn:opspor:child-id", "value": "c-1"}]
    assert load_settings({"sor_code": "123456789012345"}).sor_code == "123456789012345"
    with pytest.raises(ValidationError):
        load_settings({"sor_code": "Sundhedsplejen"})
