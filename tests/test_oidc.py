"""Single sign-on against a real OpenID provider (npm oidc-provider) started by the tests.

The app runs as `opspor serve` (authlib needs a real redirect URI); the provider sits behind a
loopback proxy that is its public address, so a test can alter what the provider answers where
a correct provider never would. Every refusal must be a Danish page and leave no session.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from sqlmodel import select

from backend.audit import AuditEvent
from backend.auth.models import OidcFlow, OidcLogin, WebSession
from backend.auth.sessions import COOKIE_NAME, token_hash
from backend.people.models import RoleAssignment
from tests.oidc_support import (
    CLIENT_ID,
    Sso,
    drive_to_callback,
    fresh,
    query_of,
    resigned,
    running_sso,
    sign_in,
    signing_key,
    start_sign_in,
    token_for_other_client,
    with_query,
)
from tests.support import LiveServer


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Sso]:
    with running_sso(tmp_path_factory.mktemp("sso"), sqlite_template) as running:
        yield running


@pytest.fixture
def idp(sso: Sso) -> Sso:
    return fresh(sso)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield client


def _me(client: httpx.Client, app_url: str) -> httpx.Response:
    return client.get(f"{app_url}/api/me")


def _refused(response: httpx.Response, client: httpx.Client, sso: Sso, message: str) -> None:
    assert response.status_code in (400, 403), response.text[:500]
    assert message in response.text
    assert 'lang="da"' in response.text
    assert COOKIE_NAME not in response.headers.get("set-cookie", "").split("=")[0]
    assert _me(client, sso.app.url).status_code == 401


# --- sign-in and roles -----------------------------------------------------------------------


def test_login_page_offers_single_sign_on(idp: Sso, http: httpx.Client) -> None:
    page = http.get(f"{idp.app.url}/login?next=/children")
    assert "Log ind med kommunens login" in page.text
    assert 'href="/auth/oidc/login?next=/children"' in page.text


def test_sign_in_maps_groups_to_roles(idp: Sso, http: httpx.Client) -> None:
    authorize = start_sign_in(http, idp.app.url, "/children")
    params = query_of(authorize)
    assert authorize.startswith(idp.proxy.url + "/auth?")
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["client_id"] == CLIENT_ID
    assert "code_verifier" not in authorize

    callback = drive_to_callback(http, authorize, "sofie", idp.app.url)
    response = http.get(callback)
    assert response.status_code == 303
    assert response.headers["location"] == "/children"
    me = _me(http, idp.app.url).json()
    assert me["display_name"] == "Sofie Sundhedsplejerske"

    user = idp.user("sofie")
    assert user.oidc_issuer == idp.proxy.url and user.oidc_subject == "sofie"
    assert user.password_hash is None
    # The unknown unit of "ukendt-enhed" is ignored; the groups come from userinfo.
    assert idp.roles(user.id) == {("health_visitor", idp.units["hv"], "oidc")}
    assert "/me" in idp.proxy.paths  # userinfo
    assert http.get(f"{idp.app.url}/children").status_code == 200
    signed_in = [e for e in idp.audit("signin.success") if e.actor_id == user.id]
    assert signed_in[-1].detail == {"method": "oidc"}
    assert any(e.object_id == user.id for e in idp.audit("oidc.user_created"))


def test_second_sign_in_updates_roles_removed_at_the_provider(idp: Sso, http: httpx.Client) -> None:
    assert sign_in(http, idp.app.url, "lars").status_code == 303
    lars = idp.user("lars")
    assert idp.roles(lars.id) == {
        ("health_visitor", idp.units["hv"], "oidc"),
        ("leader", idp.units["cm"], "oidc"),
    }
    with idp.session() as db:  # a role given locally survives provider changes
        db.add(RoleAssignment(user_id=lars.id, role="pedagogue", unit_id=idp.units["inst"]))
        db.commit()
    accounts = json.loads(idp.provider.accounts_file.read_text())
    accounts["lars"]["groups"] = ["dagpleje-ledere"]
    idp.provider.set_accounts(accounts)

    with httpx.Client(follow_redirects=False, timeout=30) as other_phone:
        assert sign_in(other_phone, idp.app.url, "lars").status_code == 303
    assert idp.user("lars").id == lars.id
    assert idp.roles(lars.id) == {
        ("leader", idp.units["cm"], "oidc"),
        ("pedagogue", idp.units["inst"], "local"),
    }
    changed = [e for e in idp.audit("oidc.roles_changed") if e.object_id == lars.id]
    assert changed[-1].detail == {"added": [], "removed": [["health_visitor", idp.units["hv"]]]}
    # The first phone's session now sees the new roles only.
    roles = {(r["role"], r["unit_id"]) for r in _me(http, idp.app.url).json()["roles"]}
    assert ("health_visitor", idp.units["hv"]) not in roles
    assert ("leader", idp.units["cm"]) in roles


def test_a_person_without_a_mapped_role_gets_no_access(idp: Sso, http: httpx.Client) -> None:
    response = sign_in(http, idp.app.url, "uden-rolle")
    assert response.status_code == 403
    assert "Ingen adgang" in response.text and "ingen rolle i Opspor" in response.text
    assert _me(http, idp.app.url).status_code == 401
    assert idp.user("uden-rolle") is None
    assert idp.audit("oidc.no_access")[-1].detail == {"reason": "no_mapped_role"}


def test_losing_every_role_at_the_provider_ends_access(idp: Sso, http: httpx.Client) -> None:
    assert sign_in(http, idp.app.url, "kort-levetid").status_code == 303
    user = idp.user("kort-levetid")
    idp.provider.set_accounts({"kort-levetid": {"groups": []}})
    with httpx.Client(follow_redirects=False, timeout=30) as other_phone:
        assert sign_in(other_phone, idp.app.url, "kort-levetid").status_code == 403
    assert idp.roles(user.id) == set()
    assert _me(http, idp.app.url).status_code == 401  # the earlier session ended too


def test_users_are_matched_by_subject_never_by_name_or_email(idp: Sso, http: httpx.Client) -> None:
    """A provider account called "demo-admin" does not become the local demo-admin."""
    assert sign_in(http, idp.app.url, "demo-admin").status_code == 303
    me = _me(http, idp.app.url).json()
    assert me["username"] != "demo-admin"
    local = idp.user("demo-admin")
    assert local.oidc_subject is None and me["id"] != local.id
    assert {r["role"] for r in me["roles"]} == {"leader"}


def test_the_admin_role_is_municipality_wide(idp: Sso, http: httpx.Client) -> None:
    assert sign_in(http, idp.app.url, "admin-ida").status_code == 303
    assert idp.roles(idp.user("admin-ida").id) == {("admin", None, "oidc")}
    assert http.get(f"{idp.app.url}/admin/audit").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_open_redirects_in_next_go_home(idp: Sso, http: httpx.Client, target: str) -> None:
    response = sign_in(http, idp.app.url, "sofie", next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_another_app_instance_can_finish_the_flow(idp: Sso, http: httpx.Client) -> None:
    """State, nonce and verifier live in the shared database, not in one process's memory."""
    second = LiveServer(idp.database_url, env={**idp.env, "OPSPOR_BASE_URL": idp.app.url})
    second.start()
    try:
        callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
        response = http.get(callback.replace(idp.app.url, second.url))
        assert response.status_code == 303
        assert _me(http, idp.app.url).json()["display_name"] == "Sofie Sundhedsplejerske"
    finally:
        second.stop()


# --- sign-out --------------------------------------------------------------------------------


def test_sign_out_ends_the_session_here_and_at_the_provider(idp: Sso, http: httpx.Client) -> None:
    assert sign_in(http, idp.app.url, "sofie").status_code == 303
    token = http.cookies.get(COOKIE_NAME)
    with idp.session() as db:
        assert db.get(OidcLogin, token_hash(token)) is not None
    page = http.get(f"{idp.app.url}/").text
    csrf_token = page.split('name="csrf_token" value="')[1].split('"')[0]

    response = http.post(f"{idp.app.url}/logout", data={"csrf_token": csrf_token})
    assert response.status_code == 200
    assert "Du er logget ud af Opspor" in response.text
    provider_logout = response.text.split("url=")[1].split('"')[0].replace("&amp;", "&")
    assert provider_logout.startswith(idp.proxy.url + "/session/end?")
    logout_params = query_of(provider_logout)
    assert logout_params["post_logout_redirect_uri"] == f"{idp.app.url}/login"
    assert logout_params["id_token_hint"].count(".") == 2
    http.cookies.set(COOKIE_NAME, token)
    assert _me(http, idp.app.url).status_code == 401
    with idp.session() as db:
        assert db.get(OidcLogin, token_hash(token)) is None
        assert db.get(WebSession, token_hash(token)) is None
    assert idp.audit("signout")

    # The provider asks to confirm, then sends the browser back to our login page.
    confirm = http.get(provider_logout)
    assert confirm.status_code == 200 and "op.logoutForm" in confirm.text
    xsrf = confirm.text.split('name="xsrf" value="')[1].split('"')[0]
    done = http.post(f"{idp.proxy.url}/session/end/confirm", data={"xsrf": xsrf, "logout": "yes"})
    assert done.status_code in (302, 303)
    assert done.headers["location"].startswith(f"{idp.app.url}/login")
    # The provider's session is gone: signing in asks for the login form again.
    authorize = start_sign_in(http, idp.app.url)
    first_stop = http.get(authorize)
    interaction = http.get(urljoin(authorize, first_stop.headers["location"]))
    assert 'name="login"' in interaction.text


# --- refusals --------------------------------------------------------------------------------


def test_a_wrong_state_is_refused(idp: Sso, http: httpx.Client) -> None:
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
    response = http.get(with_query(callback, state=secrets.token_urlsafe(32)))
    _refused(response, http, idp, "passer ikke til dette login-forsøg")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "state_mismatch"}


def test_a_callback_from_another_browser_is_refused(idp: Sso, http: httpx.Client) -> None:
    """Login CSRF: the victim's browser lacks the state cookie of the attacker's flow."""
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
    with httpx.Client(follow_redirects=False, timeout=30) as victim:
        response = victim.get(callback)
        _refused(response, victim, idp, "Prøv at logge ind igen")


def test_a_replayed_code_is_refused(idp: Sso, http: httpx.Client) -> None:
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
    state_cookie = http.cookies.get("opspor_oidc_state")
    assert http.get(callback).status_code == 303
    http.cookies.delete(COOKIE_NAME)
    # The same callback again, even with the state cookie: its flow is used up.
    http.cookies.set("opspor_oidc_state", state_cookie, path="/auth/oidc/")
    _refused(http.get(callback), http, idp, "udløbet eller allerede brugt")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "flow_unknown"}
    # The old code inside a fresh flow: the provider refuses to redeem it twice.
    http.cookies.delete("opspor_oidc_state")
    fresh = start_sign_in(http, idp.app.url)
    old_code, new_state = query_of(callback)["code"], query_of(fresh)["state"]
    response = http.get(f"{idp.app.url}/auth/oidc/callback?code={old_code}&state={new_state}")
    _refused(response, http, idp, "godkendte ikke login-koden")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "code_refused"}


def test_a_nonce_mismatch_is_refused(idp: Sso, http: httpx.Client) -> None:
    authorize = with_query(start_sign_in(http, idp.app.url), nonce=secrets.token_urlsafe(32))
    callback = drive_to_callback(http, authorize, "sofie", idp.app.url)
    _refused(http.get(callback), http, idp, "kunne ikke godkendes")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "nonce_mismatch"}


def test_an_id_token_for_another_client_is_refused(idp: Sso, http: httpx.Client) -> None:
    authorize = start_sign_in(http, idp.app.url)
    callback = drive_to_callback(http, authorize, "sofie", idp.app.url)
    nonce = query_of(authorize)["nonce"]
    foreign = token_for_other_client(http, idp.proxy.url, nonce, "sofie")
    idp.proxy.rewrite_token = lambda token: {**token, "id_token": foreign}
    _refused(http.get(callback), http, idp, "kunne ikke godkendes")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "wrong_audience"}


def test_an_expired_id_token_is_refused(idp: Sso, http: httpx.Client) -> None:
    """`kort-levetid` gets ID tokens that live one second; the proxy hands it over late."""
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "kort-levetid", idp.app.url)
    idp.proxy.delay_token = 7.0
    _refused(http.get(callback), http, idp, "er udløbet")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "expired"}


def test_an_id_token_signed_with_another_key_is_refused(idp: Sso, http: httpx.Client) -> None:
    forger = signing_key()  # same key id as the provider's, other key
    idp.proxy.rewrite_token = lambda token: {**token, "id_token": resigned(token["id_token"], forger)}
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
    _refused(http.get(callback), http, idp, "kunne ikke godkendes")
    assert idp.audit("oidc.failure")[-1].detail == {"reason": "bad_signature"}


def test_a_provider_error_is_refused_clearly(idp: Sso, http: httpx.Client) -> None:
    authorize = start_sign_in(http, idp.app.url)
    state = query_of(authorize)["state"]
    response = http.get(f"{idp.app.url}/auth/oidc/callback?error=access_denied&state={state}")
    _refused(response, http, idp, "blev afbrudt")


def test_repeated_failures_are_throttled(idp: Sso, http: httpx.Client) -> None:
    for _ in range(5):
        http.get(f"{idp.app.url}/auth/oidc/callback?code=x&state=y")
    response = http.get(f"{idp.app.url}/auth/oidc/login")
    assert response.status_code == 429
    assert "For mange" in response.text


def test_no_tokens_or_codes_reach_the_audit_log(idp: Sso, http: httpx.Client) -> None:
    callback = drive_to_callback(http, start_sign_in(http, idp.app.url), "sofie", idp.app.url)
    assert http.get(callback).status_code == 303
    code = query_of(callback)["code"]
    with idp.session() as db:
        details = json.dumps([e.detail for e in db.exec(select(AuditEvent)).all()])
        used = hashlib.sha256(query_of(callback)["state"].encode()).hexdigest()
        assert db.get(OidcFlow, used) is None
        assert db.exec(select(WebSession)).first() is not None
    assert code not in details and "eyJ" not in details
    assert code not in idp.app.log_path.read_text()
