"""Conformance checks of exported FHIR resources against the guide's facts (tests/fixtures/fhir/).

The Questionnaires and profile facts are our own files written from KL Gateway Children's
sources; these checks read them, so the tests never compare the export with itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


PROFILES = load("kl-gateway-children-profiles.json")
QUESTIONNAIRES = {
    q["url"]: q
    for q in (
        load("Questionnaire-klgateway-children-adbb.json"),
        load("Questionnaire-klgateway-children-topi.json"),
    )
}


def parse_bundle(data: dict) -> Bundle:
    """Structural validity: the FHIR models parse the bundle and every resource in it."""
    return Bundle.model_validate(data)


def questionnaire_model(url: str) -> Questionnaire:
    return Questionnaire.model_validate(QUESTIONNAIRES[url])


def _extension(item: dict, url: str) -> int | None:
    return next((e["valueInteger"] for e in item.get("extension", []) if e["url"] == url), None)


def check_response(response: dict, *, author_allowed: bool) -> None:
    """The QuestionnaireResponse against the guide's profile and its Questionnaire."""
    facts = PROFILES["questionnaireResponse"]
    assert response["resourceType"] == "QuestionnaireResponse"
    assert facts["profile"] in response["meta"]["profile"]
    for key in facts["required"]:
        assert response.get(key), key
    forbidden = facts["forbidden"] + ([] if author_allowed else ["author"])
    assert not set(forbidden) & set(response), set(forbidden) & set(response)
    assert response["status"] in ("completed", "amended")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", response["authored"])
    questionnaire = QUESTIONNAIRES[response["questionnaire"]]
    known = {item["linkId"]: item for item in questionnaire["item"]}
    items = response.get("item", [])
    assert len(items) <= facts["item_max"]
    seen = [item["linkId"] for item in items]
    assert len(seen) == len(set(seen)), "a linkId answered twice"
    for definition in questionnaire["item"]:
        if definition.get("required"):
            assert definition["linkId"] in seen, definition["linkId"]
    values: dict[str, object] = {}
    for item in items:
        assert item["linkId"] in known, item["linkId"]
        assert not set(facts["item_forbidden"]) & set(item)
        definition = known[item["linkId"]]
        assert len(item["answer"]) == facts["answers_per_item"]
        answer = item["answer"][0]
        kinds = [k for k in answer if k.startswith("value")]
        assert len(kinds) == 1 and kinds[0] in facts["answer_types"], answer
        value = answer[kinds[0]]
        if definition["type"] == "integer":
            assert kinds == ["valueInteger"] and isinstance(value, int) and not isinstance(value, bool)
            low, high = _extension(definition, MIN_VALUE), _extension(definition, MAX_VALUE)
            assert low <= value <= high, (item["linkId"], value)
        elif definition["type"] == "choice":
            options = [o["valueString"] for o in definition["answerOption"]]
            assert kinds == ["valueString"] and value in options, value
        if kinds == ["valueString"]:
            low, high = facts["string_length"]
            assert low <= len(value) <= high
        values[item["linkId"]] = value
    if "score" in known:
        assert "score" in values
        parts = [v for key, v in values.items() if key != "score"]
        assert values["score"] == sum(parts)


def check_citizen(patient: dict, *, cpr: str | None) -> None:
    """The Patient against the Citizen profile. `cpr` None: the CPR must not be there at all."""
    facts = PROFILES["citizen"]
    assert patient["resourceType"] == facts["resourceType"]
    assert facts["profile"] in patient["meta"]["profile"]
    assert not set(facts["forbidden"]) & set(patient), set(facts["forbidden"]) & set(patient)
    identifiers = patient["identifier"]
    assert facts["identifier"]["min"] <= len(identifiers) <= facts["identifier"]["max"]
    text = json.dumps(patient)
    if cpr is None:
        assert all(i["system"] != facts["identifier"]["system"] for i in identifiers)
        assert not re.search(r"\b\d{10}\b", text)
    else:
        (identifier,) = identifiers
        assert identifier["system"] == facts["identifier"]["system"]
        assert re.fullmatch(facts["identifier"]["value_pattern"], identifier["value"])
        assert identifier["value"] == cpr
    organisation = patient["managingOrganization"]
    assert not set(facts["managingOrganization"]["forbidden"]) & set(organisation)
    assert organisation["identifier"]["value"]


def check_delivery_report(report: dict) -> None:
    facts = PROFILES["deliveryReport"]
    assert report["meta"]["profile"] == [facts["profile"]]
    assert report["type"] == facts["type"] and report["timestamp"]
    assert not set(facts["forbidden"]) & set(report)
    for entry in report["entry"]:
        assert entry["resource"]["resourceType"] in facts["resource_types"]
        assert entry["fullUrl"]
