"""Malformed requests get a clear Danish answer, never a 500."""

import pytest

from tests.support import app_routes, concrete, login

MALFORMED_BODIES = [
    ("application/json", b"{not json"),
    ("application/json", b'{"username": "\xff\xfe", "password": "x"}'),
    ("application/json", b"[]"),
    ("application/json", b'{"username": 5, "password": ["x"]}'),
    ("application/json", b"null"),
    ("application/x-www-form-urlencoded", b"username=%ff%fe&password=\xff"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
    ("text/plain", b"hello"),
    ("application/json", b'{"a":' * 5000),
]


def test_missing_and_wrong_typed_fields_get_danish_field_errors(client, demo) -> None:
    response = client.post("/api/session", json={"username": 5})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Nogle felter er ikke udfyldt rigtigt."
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert errors == {"username": "Skal være tekst.", "password": "Skal udfyldes."}


def test_invalid_json_gets_a_danish_message(client, demo) -> None:
    response = client.post("/api/session", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Ugyldig JSON."


def test_invalid_utf8_is_not_a_server_error(client, demo) -> None:
    response = client.post(
        "/api/session",
        content=b'{"username": "\xff", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_huge_bodies_are_refused_before_they_are_read(client, demo) -> None:
    login(client, "demo-paedagog")
    response = client.post(
        "/api/session", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "Forespørgslen er for stor."


def test_streamed_huge_bodies_are_refused_too(client, demo) -> None:
    def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    response = client.post("/api/session", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code in (400, 413)


def test_form_login_without_json_is_refused_clearly(client, demo) -> None:
    response = client.post("/api/session", data={"username": "a", "password": "b"})
    assert response.status_code in (415, 422)
    assert response.json()["detail"]


@pytest.mark.parametrize("child_id", ["x" * 5000, "..%2F..%2Fetc%2Fpasswd", "1 OR 1=1", "ø"])
def test_odd_child_ids_are_simply_not_found(client, demo, child_id: str) -> None:
    login(client, "demo-leder")
    response = client.get(f"/api/children/{child_id}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_every_route_survives_malformed_bodies(app, client, demo) -> None:
    routes = app_routes(app)
    assert len(routes) >= 15
    token = login(client, "demo-leder")
    for method, path in routes:
        for content_type, body in MALFORMED_BODIES:
            if client.get("/api/me").status_code != 200:  # the route signed us out
                token = login(client, "demo-leder")
            response = client.request(
                method,
                concrete(path),
                content=body,
                headers={"content-type": content_type, "X-CSRF-Token": token, "accept": "application/json"},
            )
            assert response.status_code < 500, (method, path, body[:30], response.text[:200])


def test_nul_bytes_in_urls_are_refused_in_danish(client, demo) -> None:
    login(client, "demo-leder")
    for path in ("/children?q=a%00b", "/api/children/a%00b", "/children/%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.json()["detail"] == "Adressen indeholder ugyldige tegn."


def test_search_with_wildcards_and_odd_characters_is_literal(client, demo) -> None:
    login(client, "demo-leder")
    assert "Ingen børn matcher" in client.post("/children", data={"q": "%%_"}).text
    assert client.post("/children", data={"q": "' OR 1=1 --"}).status_code == 200
