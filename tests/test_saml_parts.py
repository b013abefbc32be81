"""The parts of SAML sign-in that need no identity provider: the privilege attribute, the SP key
pair, the replay table and the IdP certificate's expiry on the admin's start page."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from backend.auth import saml
from backend.config import Settings
from backend.db import utcnow
from backend.domain.certificates import expiry_state
from tests.saml_support import CVR_SCOPE, P_HEALTH_VISITOR, P_LEADER, privileges_attribute
from tests.support import login

# --- the privilege attribute (OIOSAML basic privilege profile) ---------------------------------


def test_privileges_and_constraints_become_role_map_keys() -> None:
    value = privileges_attribute([(P_HEALTH_VISITOR, [], []), (P_LEADER, ["27.24.00", "27.24.01"], [])])
    assert saml.parse_privileges(value) == [(P_HEALTH_VISITOR, []), (P_LEADER, ["27.24.00", "27.24.01"])]
    keys = saml.privilege_keys({saml.PRIVILEGE_ATTRIBUTES[0]: [value]})
    assert keys == sorted([P_HEALTH_VISITOR, P_LEADER, f"{P_LEADER}|27.24.00", f"{P_LEADER}|27.24.01"])


def test_the_oiosaml_3_attribute_name_and_namespace_are_read_too() -> None:
    xml = (
        '<bpp:PrivilegeList xmlns:bpp="http://digst.dk/oiosaml/basic_privilege_profile">'
        f'<PrivilegeGroup Scope="{CVR_SCOPE}"><Privilege>{P_HEALTH_VISITOR}</Privilege></PrivilegeGroup>'
        "</bpp:PrivilegeList>"
    )
    value = base64.b64encode(xml.encode()).decode()
    assert saml.privilege_keys({saml.PRIVILEGE_ATTRIBUTES[1]: [value]}) == [P_HEALTH_VISITOR]


@pytest.mark.parametrize(
    "value",
    [
        "ikke base64!",
        base64.b64encode(b"<ikke xml").decode(),
        base64.b64encode(
            b"<Andet><PrivilegeGroup><Privilege>x</Privilege></PrivilegeGroup></Andet>"
        ).decode(),
        base64.b64encode(
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<PrivilegeList><PrivilegeGroup><Privilege>&e;</Privilege></PrivilegeGroup></PrivilegeList>"
        ).decode(),
        base64.b64encode(
            b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<PrivilegeList><PrivilegeGroup><Privilege>&b;</Privilege></PrivilegeGroup></PrivilegeList>"
        ).decode(),
    ],
    ids=["not-base64", "not-xml", "another-root", "external-entity", "entity-expansion"],
)
def test_a_malformed_or_hostile_privilege_attribute_gives_no_privileges(value: str) -> None:
    assert saml.parse_privileges(value) == []


# --- the SP key pair --------------------------------------------------------------------------


def test_the_sp_key_and_certificate_are_generated_into_var_once(tmp_path: Path) -> None:
    settings = Settings(saml_idp_metadata="x")
    key_path, cert_path = saml.sp_key_pair(settings, var_dir=tmp_path)
    assert key_path.parent == tmp_path and key_path.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.not_valid_after_utc - utcnow() > dt.timedelta(days=4 * 365)
    before = cert_path.read_bytes()
    assert saml.sp_key_pair(settings, var_dir=tmp_path) == (key_path, cert_path)
    assert cert_path.read_bytes() == before  # kept, not regenerated


def test_configured_sp_key_files_are_used_as_they_are(tmp_path: Path) -> None:
    settings = Settings(saml_sp_key="/etc/opspor/sp.key", saml_sp_cert="/etc/opspor/sp.crt")
    assert saml.sp_key_pair(settings, var_dir=tmp_path) == (
        Path("/etc/opspor/sp.key"),
        Path("/etc/opspor/sp.crt"),
    )
    assert list(tmp_path.iterdir()) == []


# --- replay -----------------------------------------------------------------------------------


def test_an_assertion_id_is_accepted_once_until_it_expires(db) -> None:
    later = utcnow() + dt.timedelta(minutes=5)
    saml.remember_assertion(db, "_assertion-1", later)
    db.commit()
    with pytest.raises(saml.SamlError) as refused:
        saml.remember_assertion(db, "_assertion-1", later)
    assert refused.value.reason == "replayed"
    saml.remember_assertion(db, "_assertion-2", later)  # another assertion is fine
    db.commit()


# --- the IdP signing certificate's expiry -------------------------------------------------------


def _idp_metadata(folder: Path, not_after: dt.datetime) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - dt.timedelta(days=400))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    path = folder / f"idp-{not_after:%Y%m%d}.xml"
    path.write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/saml">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
    return path


def test_expiry_state_warns_thirty_days_before() -> None:
    now = utcnow()
    assert expiry_state(now + dt.timedelta(days=31), now) == "ok"
    assert expiry_state(now + dt.timedelta(days=30), now) == "soon"
    assert expiry_state(now - dt.timedelta(seconds=1), now) == "expired"


def test_the_idp_certificate_expiry_is_read_from_its_metadata(tmp_path: Path) -> None:
    not_after = (utcnow() + dt.timedelta(days=200)).replace(microsecond=0)
    settings = Settings(
        saml_idp_metadata=str(_idp_metadata(tmp_path, not_after)),
        saml_sp_key=str(tmp_path / "k.pem"),
        saml_sp_cert=str(tmp_path / "c.pem"),
    )
    saml._generate_key_pair(tmp_path / "k.pem", tmp_path / "c.pem", "SP")
    status = saml.idp_certificate_status(settings)
    assert status is not None and status.state == "ok"
    assert status.expires_at == not_after
    assert saml.idp_certificate_status(Settings()) is None


@pytest.mark.parametrize(
    ("days", "shown"), [(200, "udløber"), (20, "Hent identitetsudbyderens nye metadata, før")]
)
def test_the_admin_sees_the_idp_certificate_expiry_and_is_warned_30_days_before(
    client, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days: int, shown: str
) -> None:
    not_after = utcnow() + dt.timedelta(days=days)
    saml._generate_key_pair(tmp_path / "k.pem", tmp_path / "c.pem", "SP")
    monkeypatch.setenv("OPSPOR_SAML_IDP_METADATA", str(_idp_metadata(tmp_path, not_after)))
    monkeypatch.setenv("OPSPOR_SAML_SP_KEY", str(tmp_path / "k.pem"))
    monkeypatch.setenv("OPSPOR_SAML_SP_CERT", str(tmp_path / "c.pem"))
    from backend.config import get_settings

    get_settings.cache_clear()
    login(client, "demo-admin")
    page = client.get("/admin").text
    assert 'id="saml-certificate"' in page
    assert not_after.strftime("%d-%m-%Y") in page and shown in page
    warned = 'class="alert warn" role="alert" id="saml-certificate"' in page
    assert warned == (days <= 30)


def test_without_saml_the_admin_home_says_nothing_about_it(client, demo) -> None:
    login(client, "demo-admin")
    assert 'id="saml-certificate"' not in client.get("/admin").text


# --- the login page offers what is configured ----------------------------------------------------


@pytest.mark.parametrize(
    ("oidc", "saml_metadata", "offered"),
    [
        ("", "", set()),
        ("http://127.0.0.1:9/kommunens-login", "", {"oidc"}),
        ("", "/etc/opspor/kombit-idp.xml", {"saml"}),
        ("http://127.0.0.1:9/kommunens-login", "/etc/opspor/kombit-idp.xml", {"oidc", "saml"}),
    ],
    ids=["none", "oidc", "saml", "both"],
)
def test_the_login_page_offers_the_configured_single_sign_on(
    client, monkeypatch: pytest.MonkeyPatch, oidc: str, saml_metadata: str, offered: set[str]
) -> None:
    from backend.config import get_settings

    monkeypatch.setattr(get_settings(), "oidc_issuer", oidc)
    monkeypatch.setattr(get_settings(), "saml_idp_metadata", saml_metadata)
    page = client.get("/login?next=/children").text
    shown = {kind for kind in ("oidc", "saml") if f'href="/auth/{kind}/login?next=/children"' in page}
    assert shown == offered
    assert ("Log ind med Fælleskommunal Adgangsstyring" in page) == ("saml" in offered)
    assert 'name="password"' in page


def test_pysaml2_logs_no_assertions_or_name_ids() -> None:
    """pysaml2 logs the subject's NameID (INFO) and a whole assertion when its signature fails
    (ERROR): its loggers pass nothing below CRITICAL, whatever level the app runs at."""
    import logging

    for name in ("saml2.response", "saml2.client_base", "saml2.entity", "saml2.sigver"):
        assert not logging.getLogger(name).isEnabledFor(logging.ERROR)


def test_over_https_the_flow_cookie_is_sent_with_the_idps_cross_site_post(
    client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from backend.config import get_settings

    saml._generate_key_pair(tmp_path / "k.pem", tmp_path / "c.pem", "SP")
    metadata = _idp_metadata(tmp_path, utcnow() + dt.timedelta(days=200))
    for name, value in {
        "base_url": "https://opspor.kommune.example",
        "saml_idp_metadata": str(metadata),
        "saml_sp_key": str(tmp_path / "k.pem"),
        "saml_sp_cert": str(tmp_path / "c.pem"),
    }.items():
        monkeypatch.setattr(get_settings(), name, value)
    response = client.get("/auth/saml/login?next=/children")
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://idp.example/sso?SAMLRequest=")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("opspor_saml_flow=")
    for attribute in ("HttpOnly", "Secure", "SameSite=none", "Path=/auth/saml/", "Max-Age=600"):
        assert attribute.lower() in cookie.lower()
