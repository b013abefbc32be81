"""Delta download (issue 14): the offline manifest gives each page about a child an ETag, and
those pages answer 304 to a matching If-None-Match — before rendering, audited like the page."""

from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from tests.support import children_of_unit, login, put_record


def _manifest(client) -> dict:
    response = client.get("/api/offline/manifest")
    assert response.status_code == 200, response.text
    return response.json()


def _refetch(client, etags: dict) -> dict:
    return {url: client.get(url, headers={"If-None-Match": etag}) for url, etag in etags.items()}


def test_nothing_changed_every_page_with_an_etag_answers_304(client, demo, db) -> None:
    login(client, "demo-dagplejer")
    first = _manifest(client)
    etags = first["etags"]
    child_pages = [url for url in first["urls"] if url.startswith(("/children/", "/forms/", "/records/"))]
    assert child_pages and set(child_pages) == set(etags)
    for url, etag in etags.items():
        page = client.get(url, headers={"If-None-Match": 'W/"a-copy-from-before"'})
        assert page.status_code == 200 and page.headers["etag"] == etag, url
        assert "etag" not in client.get(url).headers  # an ordinary visit computes no version
    second = _manifest(client)
    assert second["etags"] == etags
    answers = _refetch(client, second["etags"])
    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(etags, 304)
    assert all(r.content == b"" and r.headers["etag"] == etags[url] for url, r in answers.items())
    child_url = next(url for url in etags if url.startswith("/children/"))
    child_id = child_url.rsplit("/", 1)[-1]
    reads = db.exec(
        select(AuditEvent).where(AuditEvent.action == "child.read", AuditEvent.child_id == child_id)
    ).all()
    assert any(e.detail.get("not_modified") for e in reads)  # the copy shown is a read too


def test_a_change_to_one_child_changes_only_that_childs_etags(client, demo, db) -> None:
    login(client, "demo-dagplejer")
    before = _manifest(client)["etags"]
    children = [c for c in children_of_unit(db, "Dagplejen Syd") if f"/children/{c.id}" in before]
    changed, other = children[0], children[1]
    note = {"observed_on": today().isoformat(), "text": "Ny iagttagelse"}
    assert put_record(client, "concern_note", changed.id, note).status_code == 201
    after = _manifest(client)["etags"]
    differs = {url for url in before if after.get(url) != before[url]}
    assert f"/children/{changed.id}" in differs
    assert all(changed.id in url for url in differs)
    assert after[f"/children/{other.id}"] == before[f"/children/{other.id}"]
    stale = client.get(
        f"/children/{changed.id}", headers={"If-None-Match": before[f"/children/{changed.id}"]}
    )
    assert stale.status_code == 200 and "Ny iagttagelse" in stale.text
    assert "Ny iagttagelse" not in client.get(f"/children/{other.id}").text


def test_an_etag_is_the_users_own_and_gives_no_access(client, demo, db) -> None:
    login(client, "demo-dagplejer")
    etags = _manifest(client)["etags"]
    url = next(url for url in etags if url.startswith("/children/"))
    login(client, "demo-sundhedsplejerske")  # another user, not placed with this child
    answer = client.get(url, headers={"If-None-Match": etags[url]})
    assert answer.status_code == 404
    login(client, "demo-dagplejer")  # a new sign-in (new session): fresh pages, fresh CSRF token
    assert client.get(url, headers={"If-None-Match": etags[url]}).status_code == 200


def test_offline_pages_hold_no_cpr(client, demo, db) -> None:
    from backend.domain.cpr import format_cpr
    from backend.people.models import Child

    login(client, "demo-dagplejer")
    etags = _manifest(client)["etags"]
    cprs = [c.cpr for c in db.exec(select(Child)).all() if c.cpr]
    for url in etags:
        text = client.get(url).text
        assert not any(cpr in text or format_cpr(cpr) in text for cpr in cprs), url


def test_a_new_round_or_a_guardians_new_phone_changes_the_etags(client, demo, db) -> None:
    from backend.people.models import Guardian
    from backend.records.models import EvaluationRound
    from tests.support import unit_named, user_named

    login(client, "demo-dagplejer")
    before = _manifest(client)["etags"]
    unit = unit_named(db, "Dagplejen Syd")
    db.add(
        EvaluationRound(
            unit_id=unit.id,
            name="Efterår",
            opens_on=today(),
            closes_on=today(),
            created_by_id=user_named(db, "demo-dagplejer").id,
        )
    )
    db.commit()
    after_round = _manifest(client)["etags"]
    form = next(url for url in before if url.startswith("/forms/wellbeing"))
    assert after_round[form] != before[form]
    child_url = next(url for url in before if url.startswith("/children/"))
    guardian = db.exec(select(Guardian).where(Guardian.child_id == child_url.rsplit("/", 1)[-1])).first()
    guardian.phone = "87 65 43 21"
    db.add(guardian)
    db.commit()
    assert _manifest(client)["etags"][child_url] != after_round[child_url]
