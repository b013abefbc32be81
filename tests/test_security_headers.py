"""Strict security headers on every kind of response."""

import pytest

from tests.support import children_of_unit, login


def _assert_security_headers(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize(
    "path", ["/login", "/healthz", "/api/me", "/no-such-page", "/manifest.webmanifest", "/sw.js"]
)
def test_headers_on_public_responses(client, demo, path: str) -> None:
    _assert_security_headers(client.get(path))


def test_pages_with_child_data_are_not_stored(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    for path in ("/", "/children", f"/children/{child.id}", f"/api/children/{child.id}"):
        response = client.get(path)
        _assert_security_headers(response)
        assert response.headers["cache-control"] == "no-store", path


def test_static_assets_are_immutable_under_their_hash(client, demo) -> None:
    page = client.get("/login").text
    css_url = page.split('rel="stylesheet" href="')[1].split('"')[0]
    response = client.get(css_url)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    _assert_security_headers(response)
    stale = client.get(
        css_url.replace("/static/", "/static/000000000000").replace(css_url.split("/")[2], "000000000000")
    )
    assert stale.headers["cache-control"] == "no-cache"


def test_unexpected_errors_are_danish_and_keep_headers(app, demo) -> None:
    from fastapi.testclient import TestClient

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Der skete en fejl")
    _assert_security_headers(response)
