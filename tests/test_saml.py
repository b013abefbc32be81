"""SAML sign-in (Fælleskommunal Adgangsstyring) against a real identity provider started by the
tests: pysaml2's own IdP (xmlsec1 signing and encrypting) on a loopback port, the app as
`opspor serve`. Every refusal must be a Danish page and leave no session."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from defusedxml import ElementTree as SafeET

from backend.auth.sessions import COOKIE_NAME
from tests.saml_support import (
    LIFETIME_MINUTES,
    P_CANTEEN,
    P_HEALTH_VISITOR,
    P_LEADER,
    Person,
    Saml,
    decoded,
    drive_to_acs,
    fresh,
    running_saml,
    sign_in,
    with_response,
)

SOFIE = Person("sofie-persistent-0001", "Sofie Sundhedsplejerske", [P_HEALTH_VISITOR])


@pytest.fixture(scope="module")
def saml(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Saml]:
    with running_saml(tmp_path_factory.mktemp("saml"), sqlite_template) as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield client


def _me(client: httpx.Client, saml: Saml) -> httpx.Response:
    return client.get(f"{saml.app.url}/api/me")


def _refused(response: httpx.Response, client: httpx.Client, saml: Saml, reason: str) -> None:
    assert response.status_code == 400, response.text[:500]
    assert "Svaret fra kommunens login" in response.text
    assert 'lang="da"' in response.text
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")
    assert _me(client, saml).status_code == 401
    assert saml.audit("saml.failure")[-1].detail["reason"] == reason


def test_the_authn_request_is_signed_over_http_redirect(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE)
    start = http.get(f"{saml.app.url}/auth/saml/login", params={"next": "/children"})
    assert start.status_code == 303
    location = start.headers["location"]
    assert location.startswith(saml.idp.url + "/sso?")
    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert {"SAMLRequest", "RelayState", "Signature"} <= set(query)
    # The IdP verifies the signature with the certificate from the app's metadata; a request
    # whose signature does not match is refused.
    assert http.get(location).status_code == 200
    assert http.get(location.replace("Signature=", "Signature=AAAA")).status_code == 400


def test_sign_in_maps_privileges_to_roles(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE)
    response = sign_in(http, saml.app.url, "/children")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/children"
    me = _me(http, saml)
    assert me.status_code == 200
    user = saml.user_by_subject(SOFIE.subject)
    assert user is not None and user.oidc_issuer == saml.idp.entity_id
    assert user.display_name == "Sofie Sundhedsplejerske"
    assert saml.roles(user.id) == {("health_visitor", saml.units["hv"], "saml")}
    assert saml.audit("saml.user_created")[-1].object_id == user.id
    success = saml.audit("signin.success")[-1]
    assert success.object_id == user.id and success.detail == {"method": "saml"}
    # No audit event carries the assertion, the NameID or the privileges.
    for event in saml.audit("saml.user_created") + saml.audit("signin.success"):
        assert SOFIE.subject not in str(event.detail) and "PrivilegeList" not in str(event.detail)


def test_privileges_removed_at_the_idp_remove_the_roles_at_the_next_sign_in(
    saml: Saml, http: httpx.Client
) -> None:
    lars = Person(
        "lars-persistent-0002", "Lars Leder", [P_HEALTH_VISITOR, P_LEADER], {P_LEADER: ["27.24.00"]}
    )
    fresh(saml, lars)
    assert sign_in(http, saml.app.url).status_code == 303
    user = saml.user_by_subject(lars.subject)
    assert saml.roles(user.id) == {
        ("health_visitor", saml.units["hv"], "saml"),
        ("leader", saml.units["cm"], "saml"),
    }
    # A leader privilege without the mapped constraint value maps to nothing.
    fresh(saml, Person(lars.subject, "Lars Leder", [P_HEALTH_VISITOR, P_LEADER], {P_LEADER: ["00.01"]}))
    with httpx.Client(follow_redirects=False, timeout=30) as other:
        assert sign_in(other, saml.app.url).status_code == 303
    assert saml.roles(user.id) == {("health_visitor", saml.units["hv"], "saml")}
    changed = saml.audit("saml.roles_changed")[-1]
    assert changed.object_id == user.id
    assert changed.detail["removed"] == [["leader", saml.units["cm"]]]


def test_no_mapped_privilege_gives_no_access(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, Person("kok-persistent-0003", "Kantine Kok", [P_CANTEEN]))
    response = sign_in(http, saml.app.url)
    assert response.status_code == 403
    assert "Ingen adgang" in response.text
    assert "ingen rolle i Opspor" in response.text
    assert _me(http, saml).status_code == 401
    assert saml.user_by_subject("kok-persistent-0003") is None
    assert saml.audit("saml.no_access")[-1].detail["reason"] == "no_mapped_role"


def test_identity_is_the_persistent_subject_not_the_name(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, Person("anden-persistent-0004", SOFIE.name, [P_HEALTH_VISITOR]))
    assert sign_in(http, saml.app.url).status_code == 303
    other = saml.user_by_subject("anden-persistent-0004")
    fresh(saml, SOFIE)
    with httpx.Client(follow_redirects=False, timeout=30) as second:
        assert sign_in(second, saml.app.url).status_code == 303
    sofie = saml.user_by_subject(SOFIE.subject)
    assert other is not None and sofie is not None and other.id != sofie.id


# --- refused responses -------------------------------------------------------------------------


def test_tampered_response_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE)
    action, fields = drive_to_acs(http, saml.app.url)
    xml = decoded(fields)
    assert SOFIE.name in xml
    tampered = with_response(fields, xml.replace(SOFIE.name, "Mallory Manipulator"))
    _refused(http.post(action, data=tampered), http, saml, "bad_signature")
    # The refused assertion (a name, the subject) stays out of the server's log.
    log = saml.app.log_path.read_text()
    assert "SAML response refused: bad_signature" in log
    assert "Mallory" not in log and SOFIE.subject not in log


def test_unsigned_assertion_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE, signed=False)
    _refused(sign_in(http, saml.app.url), http, saml, "bad_signature")


def test_expired_response_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE, clock_offset=-15 * 60)  # issued 15 min ago, valid for 5: expired 10 min ago
    _refused(sign_in(http, saml.app.url), http, saml, "expired")


def test_clock_skew_is_allowed_up_to_the_setting(saml: Saml) -> None:
    """OPSPOR_SAML_CLOCK_SKEW_SECONDS (60 by default) bounds NotOnOrAfter and NotBefore."""
    lifetime = LIFETIME_MINUTES * 60
    cases = [
        (-lifetime - 30, 303, None),  # NotOnOrAfter 30 s ago: within the skew
        (-lifetime - 120, 400, "expired"),  # 120 s ago: beyond it
        (30, 303, None),  # NotBefore 30 s ahead (the IdP's clock runs fast)
        (120, 400, "not_yet_valid"),  # 120 s ahead
    ]
    for offset, status, reason in cases:
        fresh(saml, SOFIE, clock_offset=offset)
        with httpx.Client(follow_redirects=False, timeout=30) as client:
            response = sign_in(client, saml.app.url)
            assert response.status_code == status, (offset, response.text[:300])
            if reason:
                _refused(response, client, saml, reason)


def test_a_response_to_another_request_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE)
    action, first = drive_to_acs(http, saml.app.url)
    _, second = drive_to_acs(http, saml.app.url)
    crossed = {**first, "RelayState": second["RelayState"]}  # InResponseTo names the first request
    _refused(http.post(action, data=crossed), http, saml, "in_response_to_mismatch")


def test_replayed_response_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE)
    action, fields = drive_to_acs(http, saml.app.url)
    flow_cookie = {"opspor_saml_flow": fields["RelayState"]}
    assert http.post(action, data=fields).status_code == 303
    with httpx.Client(follow_redirects=False, timeout=30, cookies=flow_cookie) as attacker:
        response = attacker.post(action, data=fields)
        assert response.status_code == 400
        assert "udløbet eller allerede brugt" in response.text
        assert _me(attacker, saml).status_code == 401
    assert saml.audit("saml.failure")[-1].detail["reason"] == "flow_unknown"


def test_a_response_posted_by_another_browser_is_refused(saml: Saml, http: httpx.Client) -> None:
    """Without the flow cookie of the browser that started the sign-in (login CSRF)."""
    fresh(saml, SOFIE)
    action, fields = drive_to_acs(http, saml.app.url)
    with httpx.Client(follow_redirects=False, timeout=30) as victim:
        response = victim.post(action, data=fields)
        assert response.status_code == 400 and "udløbet eller allerede brugt" in response.text
        assert _me(victim, saml).status_code == 401
    assert saml.audit("saml.failure")[-1].detail["reason"] == "flow_cookie_missing"
    # The flow is still there for its own browser.
    assert http.post(action, data=fields).status_code == 303


def test_response_for_another_audience_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE, audience="https://andet-system.example/saml")
    _refused(sign_in(http, saml.app.url), http, saml, "wrong_audience")


def test_response_for_another_recipient_is_refused(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE, destination="https://andet-system.example/saml/acs")
    _refused(sign_in(http, saml.app.url), http, saml, "wrong_recipient")


def test_encrypted_assertion_is_accepted(saml: Saml, http: httpx.Client) -> None:
    fresh(saml, SOFIE, encrypt=True)
    action, fields = drive_to_acs(http, saml.app.url)
    xml = decoded(fields)
    assert "EncryptedAssertion" in xml and SOFIE.name not in xml
    assert http.post(action, data=fields).status_code == 303
    assert _me(http, saml).status_code == 200


# --- sign-out, metadata, login page --------------------------------------------------------------


def test_logout_ends_the_session_and_sends_a_signed_logout_request_to_the_idp(
    saml: Saml, http: httpx.Client
) -> None:
    fresh(saml, SOFIE)
    assert sign_in(http, saml.app.url).status_code == 303
    page = http.get(f"{saml.app.url}/").text
    csrf_token = page.split('name="csrf_token" value="')[1].split('"')[0]

    response = http.post(f"{saml.app.url}/logout", data={"csrf_token": csrf_token})
    assert response.status_code == 200
    assert "Du er logget ud af Opspor" in response.text
    assert _me(http, saml).status_code == 401
    idp_logout = html.unescape(re.search(r'href="([^"]+)" id="provider-logout"', response.text).group(1))
    query = parse_qs(urlsplit(idp_logout).query)
    assert idp_logout.startswith(saml.idp.url + "/slo?")
    assert {"SAMLRequest", "RelayState", "SigAlg", "Signature"} <= set(query)
    assert saml.audit("saml.logout_redirect")

    # The IdP checks the signature, ends its session and answers at the SLO endpoint.
    at_idp = http.get(idp_logout)
    assert at_idp.status_code == 303, at_idp.text
    assert saml.idp.logout_requests[-1] == SOFIE.subject
    back = http.get(at_idp.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/login"
    assert saml.audit("saml.logout_response")[-1].detail["confirmed"] is True


def test_metadata_describes_the_service_provider(saml: Saml, http: httpx.Client) -> None:
    response = http.get(f"{saml.app.url}/auth/saml/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/samlmetadata+xml")
    root = SafeET.fromstring(response.content)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.tag == "{urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor"
    assert root.get("entityID") == f"{saml.app.url}/auth/saml/metadata"
    sp = root.find("md:SPSSODescriptor", ns)
    assert sp is not None
    assert sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    uses = {key.get("use") for key in sp.findall("md:KeyDescriptor", ns)}
    assert uses == {"signing", "encryption"}
    assert all(
        key.find(".//ds:X509Certificate", ns).text.strip() for key in sp.findall("md:KeyDescriptor", ns)
    )
    acs = sp.find("md:AssertionConsumerService", ns)
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert acs.get("Location") == f"{saml.app.url}/auth/saml/acs"
    slo = sp.find("md:SingleLogoutService", ns)
    assert slo.get("Location") == f"{saml.app.url}/auth/saml/slo"
    # Schema-valid SAML metadata: pysaml2 reads it back as an SP.
    assert saml.idp.server.metadata.service_providers() == [root.get("entityID")]


def test_login_page_offers_saml_sign_in(saml: Saml, http: httpx.Client) -> None:
    page = http.get(f"{saml.app.url}/login?next=/children").text
    assert 'href="/auth/saml/login?next=/children"' in page
    assert "Log ind med Fælleskommunal Adgangsstyring" in page
    assert "/auth/oidc/login" not in page  # OpenID Connect is not configured here
    assert 'name="username"' in page  # local sign-in stays


@pytest.mark.parametrize(
    "response_value",
    ["", "ikke base64 %%%", "PGlra2UgeG1s", "PD94bWwgdmVyc2lvbj0iMS4wIj8+PGZvby8+"],
    ids=["empty", "not-base64", "not-xml", "not-a-response"],
)
def test_garbage_at_the_acs_is_a_danish_refusal_not_an_error(
    saml: Saml, http: httpx.Client, response_value: str
) -> None:
    fresh(saml, SOFIE)
    action, fields = drive_to_acs(http, saml.app.url)
    response = http.post(action, data={**fields, "SAMLResponse": response_value})
    assert response.status_code == 400, response.text[:300]
    assert "Svaret fra kommunens login kunne ikke godkendes" in response.text
    assert _me(http, saml).status_code == 401
    no_flow = http.post(action, data={"SAMLResponse": fields["SAMLResponse"]})
    assert no_flow.status_code == 400 and "Login-forsøget er udløbet" in no_flow.text
