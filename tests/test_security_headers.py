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


#: Every security header and its exact value, and no-store on answers that set no caching.
EXPECTED = {
    "content-security-policy": None,  # checked by _assert_security_headers
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": None,
}


def _assert_every_security_header(response, cache_control: str = "no-store") -> None:
    _assert_security_headers(response)
    for name, value in EXPECTED.items():
        assert len(response.headers.get_list(name)) == 1, (name, response.status_code)
        if value is not None:
            assert response.headers[name] == value, (name, response.status_code)
    assert response.headers["cache-control"] == cache_control, response.status_code
    assert "strict-transport-security" not in response.headers  # plain HTTP here


def test_every_kind_of_answer_carries_every_security_header_once(app, demo) -> None:
    """One middleware adds the headers (issue 21: it replaced seven): 200, 304, 400, 404, 413,
    422 and 500 answers all carry each header exactly once, HTML and JSON alike."""
    from fastapi.testclient import TestClient

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        login(client, "demo-dagplejer")
        manifest = client.get("/api/offline/manifest").json()
        url, etag = next((u, e) for u, e in manifest["etags"].items() if u.startswith("/children/"))
        answers = {
            200: client.get(url),
            304: client.get(url, headers={"If-None-Match": etag}),
            400: client.get("/children?x=%00"),
            404: client.get("/no-such-page"),
            413: client.put(
                "/api/records/00000000-0000-4000-8000-000000000000",
                content=b"{" + b" " * 2_000_000 + b"}",
                headers={"Content-Type": "application/json"},
            ),
            422: client.put(
                "/api/records/00000000-0000-4000-8000-000000000000",
                content=b'{"type": "\\ud800"}',
                headers={"Content-Type": "application/json"},
            ),
            500: client.get("/boom", headers={"Accept": "text/html"}),
        }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text[:200])
        _assert_every_security_header(response)
    assert answers[304].headers["etag"] == etag
    assert answers[500].text.startswith("<!doctype html>")
    assert answers[422].json()["errors"][0]["field"] == "type"


def test_over_https_every_answer_asks_for_https_from_now_on(app, demo) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://127.0.0.1") as client:
        for path in ("/login", "/no-such-page"):
            response = client.get(path)
            assert response.headers.get_list("strict-transport-security") == ["max-age=63072000"]
            _assert_security_headers(response)


def test_a_response_s_own_headers_are_kept_not_doubled(client, demo) -> None:
    """A response that sets its own caching (an asset) keeps it: the default is only a default."""
    page = client.get("/login").text
    css_url = page.split('rel="stylesheet" href="')[1].split('"')[0]
    response = client.get(css_url)
    assert len(response.headers.get_list("cache-control")) == 1
    assert "immutable" in response.headers["cache-control"]


def test_every_answer_is_logged_once_by_route_template(client, demo, caplog) -> None:
    """The request log (one line per request, no path, no query) comes from the same middleware,
    also for the answers it gives itself (400 for a NUL byte in the address)."""
    with caplog.at_level("INFO", logger="opspor.access"):
        client.get("/login?next=%2Fchildren%2Fsecret")
        client.get("/no-such-page/0101901234")
        client.get("/children?x=%00")
    lines = [r.getMessage() for r in caplog.records if r.name == "opspor.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GET /login 200",
        "GET <unmatched> 404",
        "GET <unmatched> 400",
    ]
    assert all(line.endswith("ms") for line in lines)
    assert "secret" not in caplog.text and "0101901234" not in caplog.text
