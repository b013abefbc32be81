"""Pure mapping from Opspor's children and records to KL Gateway Children resources.

Facts taken from the guide (hl7dk/kl-children, `input/fsh/`):

- Citizen (`klgateway-children-citizen`, a dk-core Patient): exactly one identifier, the CPR number
  (system `urn:oid:1.2.208.176.1.2`); no name, birth date, gender, address or telecom; a
  `managingOrganization` given only by its SOR identifier (system `urn:oid:1.2.208.176.1.1`).
- QuestionnaireResponse (`klgateway-children-questionnaire-response`): `questionnaire`, `subject`
  and `authored` required; each item one answer, `valueInteger`/`valueBoolean`/`valueString`
  (strings 1–30 characters); no `identifier`, `item.text`, nested items.
- ADBB (`…/Questionnaire/klgateway-children-adbb`): eight integer items 0–4 and `score` 0–32.
- TOPI (`…/Questionnaire/klgateway-children-topi`): one choice item `1vurdering` answered with the
  *string* `Grøn`, `Gul` or `Rød`.
- Delivery report: a `collection` Bundle per child with `meta.profile` and `timestamp`; the
  incremental delivery is a `collection` Bundle of delivery reports (no `link`, no `total`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

KL = "http://fhir.kl.dk/children"
CITIZEN_PROFILE = f"{KL}/StructureDefinition/klgateway-children-citizen"
RESPONSE_PROFILE = f"{KL}/StructureDefinition/klgateway-children-questionnaire-response"
DELIVERY_REPORT_PROFILE = f"{KL}/StructureDefinition/klgateway-children-delivery-report"
INCREMENTAL_DELIVERY_PROFILE = f"{KL}/StructureDefinition/klgateway-children-incremental-delivery"
ADBB_QUESTIONNAIRE = f"{KL}/Questionnaire/klgateway-children-adbb"
TOPI_QUESTIONNAIRE = f"{KL}/Questionnaire/klgateway-children-topi"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
#: Opspor's own identifiers, used when there is no CPR number the caller may see (or no SOR code).
CHILD_ID_SYSTEM = "urn:opspor:child-id"
MUNICIPALITY_ID_SYSTEM = "urn:opspor:municipality-id"

#: Our ADBB item keys → the guide's linkIds, in the guide's order.
ADBB_LINK_IDS: dict[str, str] = {
    "facial_expression": "1facialExpression",
    "eye_contact": "2eyeContact",
    "activity_level": "3generalLevelOfActivity",
    "self_stimulation": "4selfStimulatingGestures",
    "vocalisation": "5vocalizations",
    "response_briskness": "6brisknessOfResponseToStimulation",
    "relationship": "7relationship",
    "attracting_attention": "8attraction",
}
ADBB_SCORE_LINK_ID = "score"
TOPI_LINK_ID = "1vurdering"
#: Our well-being positions → TOPI's answers.
TOPI_ANSWERS: dict[str, str] = {"thriving": "Grøn", "extra_attention": "Gul", "concern": "Rød"}


def urn(resource_id: str) -> str:
    """The bundle-local full URL of a resource (our ids are UUIDs)."""
    return f"urn:uuid:{resource_id}"


def citizen(
    child_id: str, cpr: str | None, municipality_id: str, sor_code: str | None, *, show_cpr: bool
) -> dict[str, Any]:
    """The child as a Citizen. The CPR number only when `show_cpr`; else Opspor's own id."""
    if show_cpr and cpr:
        identifier = {"use": "official", "system": CPR_SYSTEM, "value": cpr}
    else:
        identifier = {"use": "secondary", "system": CHILD_ID_SYSTEM, "value": child_id}
    if sor_code:
        organisation = {"use": "official", "system": SOR_SYSTEM, "value": sor_code}
    else:
        organisation = {"use": "secondary", "system": MUNICIPALITY_ID_SYSTEM, "value": municipality_id}
    return {
        "resourceType": "Patient",
        "id": child_id,
        "meta": {"profile": [CITIZEN_PROFILE]},
        "identifier": [identifier],
        "managingOrganization": {"identifier": organisation},
    }


def practitioner(user_id: str, display_name: str) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": user_id, "name": [{"text": display_name}]}


def _response(
    record_id: str,
    version: int,
    status: str,
    questionnaire: str,
    child_id: str,
    authored: date,
    items: list[dict[str, Any]],
    author_id: str | None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": record_id,
        "meta": {"versionId": str(version), "profile": [RESPONSE_PROFILE]},
        "questionnaire": questionnaire,
        "status": status,
        "subject": {"reference": urn(child_id)},
        "authored": authored.isoformat(),
        "item": items,
    }
    if author_id is not None:
        resource["author"] = {"reference": urn(author_id)}
    return resource


def response_status(corrected: bool) -> str:
    """`completed`, or `amended` for a final record corrected after it was first made final."""
    return "amended" if corrected else "completed"


def adbb_response(
    record_id: str,
    version: int,
    child_id: str,
    data: Mapping[str, Any],
    *,
    corrected: bool = False,
    author_id: str | None = None,
) -> dict[str, Any]:
    """A final ADBB screening: the eight scores given and their sum as `score`."""
    scores = data.get("items") or {}
    items = [
        {"linkId": link_id, "answer": [{"valueInteger": int(scores[key])}]}
        for key, link_id in ADBB_LINK_IDS.items()
        if scores.get(key) is not None
    ]
    total = sum(item["answer"][0]["valueInteger"] for item in items)
    items.append({"linkId": ADBB_SCORE_LINK_ID, "answer": [{"valueInteger": total}]})
    return _response(
        record_id,
        version,
        response_status(corrected),
        ADBB_QUESTIONNAIRE,
        child_id,
        date.fromisoformat(data["screened_on"]),
        items,
        author_id,
    )


def topi_response(
    record_id: str,
    version: int,
    child_id: str,
    data: Mapping[str, Any],
    authored: date,
    *,
    corrected: bool = False,
    author_id: str | None = None,
) -> dict[str, Any]:
    """A final joint well-being assessment: its overall position as TOPI's Grøn/Gul/Rød."""
    overall = data.get("overall")
    items = [{"linkId": TOPI_LINK_ID, "answer": [{"valueString": TOPI_ANSWERS[overall]}]}] if overall else []
    return _response(
        record_id,
        version,
        response_status(corrected),
        TOPI_QUESTIONNAIRE,
        child_id,
        authored,
        items,
        author_id,
    )


def collection(resources: Iterable[dict[str, Any]], timestamp: datetime | None = None) -> dict[str, Any]:
    """A `collection` Bundle of the resources, each under its `urn:uuid:` full URL."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(timestamp or datetime.now(UTC)),
        "entry": [{"fullUrl": urn(r["id"]), "resource": r} for r in resources],
    }
    return bundle


def delivery_report(resources: Iterable[dict[str, Any]], timestamp: datetime) -> dict[str, Any]:
    """One child's delivery report (the Citizen first, then the responses)."""
    report = collection(resources, timestamp)
    report["meta"] = {"profile": [DELIVERY_REPORT_PROFILE]}
    return report


def incremental_delivery(reports: Iterable[dict[str, Any]], timestamp: datetime) -> dict[str, Any]:
    """The delivery reports of one page of the incremental delivery. The reports have no id of
    their own in our data, so each gets its child's id as entry URL."""
    entries = []
    for report in reports:
        child_id = report["entry"][0]["resource"]["id"]
        entries.append({"fullUrl": f"urn:uuid:{child_id}", "resource": report})
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [INCREMENTAL_DELIVERY_PROFILE]},
        "type": "collection",
        "timestamp": _instant(timestamp),
        "entry": entries,
    }


def checked(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle, after the FHIR models have parsed it (raises on a structural error)."""
    Bundle.model_validate(bundle)
    return bundle


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
