"""CSRF protection on every unsafe request."""

import re

from backend.auth import csrf
from tests.support import app_routes, concrete, login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def test_unsafe_json_request_without_token_is_refused(client, demo) -> None:
    login(client, "demo-paedagog")
    del client.headers["X-CSRF-Token"]
    response = client.delete("/api/session")
    assert response.status_code == 403
    assert "Sikkerhedstjekket" in response.json()["detail"]


def test_wrong_token_is_refused_and_right_one_accepted(client, demo) -> None:
    token = login(client, "demo-paedagog")
    assert client.delete("/api/session", headers={"X-CSRF-Token": token[::-1]}).status_code == 403
    assert client.delete("/api/session", headers={"X-CSRF-Token": token}).status_code == 204


def test_masked_page_token_is_accepted_in_a_form(client, demo) -> None:
    login(client, "demo-paedagog")
    del client.headers["X-CSRF-Token"]
    page = client.get("/").text
    masked = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/logout", data={"csrf_token": masked})
    assert response.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_masked_tokens_differ_on_every_render(client, demo) -> None:
    login(client, "demo-paedagog")
    first = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
    second = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
    assert first != second


def test_form_post_without_token_is_refused(client, demo) -> None:
    login(client, "demo-paedagog")
    del client.headers["X-CSRF-Token"]
    response = client.post("/logout", headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "Sikkerhedstjekket" in response.text
    assert client.get("/api/me").status_code == 200


def test_every_unsafe_route_refuses_a_request_without_token(app, client, demo) -> None:
    login(client, "demo-leder")
    del client.headers["X-CSRF-Token"]
    from backend.web.context import CSRF_EXEMPT

    # The only exemptions: the JSON sign-in, and the SAML identity provider's cross-site POST
    # (its signed response and one-time RelayState stand in for the token).
    assert {("POST", "/api/session"), ("POST", "/auth/saml/acs")} == CSRF_EXEMPT
    unsafe = [(m, p) for m, p in app_routes(app) if m in UNSAFE and (m, p) not in CSRF_EXEMPT]
    assert len(unsafe) >= 3
    for method, path in unsafe:
        response = client.request(method, concrete(path), headers={"accept": "application/json"})
        assert response.status_code == 403, (method, path, response.status_code)


def test_pre_session_token_is_bound_to_its_cookie() -> None:
    assert csrf.pre_session_token("k", "a") != csrf.pre_session_token("k", "b")
    token = csrf.pre_session_token("k", "a")
    assert csrf.token_is_valid(token, csrf.mask(token))
    assert not csrf.token_is_valid(token, csrf.mask(csrf.pre_session_token("k", "b")))


def test_a_refused_csrf_check_carries_a_machine_readable_code(client, demo) -> None:
    """Clients tell a CSRF refusal from other 403s by status and code, never by the Danish text."""
    login(client, "demo-paedagog")
    del client.headers["X-CSRF-Token"]
    json_answer = client.delete("/api/session")
    assert json_answer.status_code == 403
    assert json_answer.json()["code"] == "csrf"
    assert json_answer.headers["X-Opspor-Error"] == "csrf"
    page_answer = client.post("/logout", headers={"accept": "text/html"})
    assert page_answer.status_code == 403
    assert page_answer.headers["X-Opspor-Error"] == "csrf"


def test_other_refusals_carry_no_csrf_code(client, demo) -> None:
    token = login(client, "demo-paedagog")
    answer = client.get("/admin", headers={"X-CSRF-Token": token, "accept": "application/json"})
    assert answer.status_code == 403
    assert "code" not in answer.json() and "X-Opspor-Error" not in answer.headers
