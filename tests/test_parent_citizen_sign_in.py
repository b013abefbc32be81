"""A parent signs in with MitID instead of typing the code (issue 15, `OPSPOR_CITIZEN_OIDC_*`),
against the same real OpenID provider (npm oidc-provider) as the staff sign-in tests, registered
a second time as the municipality's citizen sign-in broker with a CPR claim (`dk.cpr`).

The sign-in is matched to the invited guardian's recorded CPR number; anyone else — another CPR
number, or a guardian without one — is refused with a clear page and audited. The CPR number is
never in a URL, the server's log or an audit event."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.parents.models import ParentInvitation
from backend.records.models import Task
from tests.citizen_support import MOTHER_CPR, NEIGHBOUR_CPR, invitation_for
from tests.oidc_support import Sso, drive_to_callback, fresh, running_sso
from tests.parents_support import (
    HEALTH_VISITOR,
    csrf_of,
    guardians,
    hv_child,
    invite,
    parent_client,
    transition_for,
)
from tests.support import login


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Sso]:
    with running_sso(tmp_path_factory.mktemp("citizen"), sqlite_template, citizen=True) as running:
        yield running


@pytest.fixture
def broker(sso: Sso) -> Iterator[Sso]:
    fresh(sso)
    sso.provider.set_accounts(
        {
            "mor": {"name": "Mor", "cpr": "010190-1234"},
            "nabo": {"name": "Naboen", "cpr": NEIGHBOUR_CPR},
            "uden-cpr": {"name": "Uden CPR"},
        }
    )
    yield sso
    with sso.session() as db:  # the app is shared by the module's tests: no concern left open
        for task in db.exec(
            select(Task).where(Task.kind == "abuse_path_review", Task.key.startswith("test:"))
        ):
            db.delete(task)
        db.commit()


def _mitid(sso: Sso, parent: httpx.Client, invitation: dict, username: str) -> httpx.Response:
    """Open the link, choose MitID, sign in at the broker as `username`; the app's answer."""
    path = httpx.URL(invitation["url"]).path
    page = parent.get(f"{sso.app.url}{path}")
    assert "Log ind med MitID" in page.text and f'href="{path}/mitid"' in page.text
    started = parent.get(f"{sso.app.url}{path}/mitid")
    assert started.status_code == 303, started.text[:300]
    callback = drive_to_callback(parent, started.headers["location"], username, sso.app.url)
    assert callback.startswith(f"{sso.app.url}/auth/citizen/callback?")
    for digits in (MOTHER_CPR, NEIGHBOUR_CPR, "010190-1234"):
        assert digits not in callback and digits not in started.headers["location"]
    return parent.get(callback)


def _events(sso: Sso, invitation_id: str) -> list[AuditEvent]:
    with sso.session() as db:
        query = select(AuditEvent).where(AuditEvent.object_id == invitation_id).order_by(AuditEvent.id)
        return list(db.exec(query))


def _no_cpr_anywhere(sso: Sso) -> None:
    with sso.session() as db:
        details = json.dumps([event.detail for event in db.exec(select(AuditEvent))], default=str)
    log = Path(sso.app.log_path).read_text(errors="replace")
    for digits in (MOTHER_CPR, NEIGHBOUR_CPR, "010190-1234"):
        assert digits not in details and digits not in log


def test_the_invited_guardian_signs_in_with_mitid_and_reaches_the_parents_part(broker: Sso) -> None:
    invitation, guardian = invitation_for(broker, MOTHER_CPR)
    path = httpx.URL(invitation["url"]).path
    with httpx.Client(follow_redirects=False, timeout=30) as parent:
        answer = _mitid(broker, parent, invitation, "mor")
        assert answer.status_code == 303, answer.text[:500]
        assert answer.headers["location"] == path
        task = parent.get(f"{broker.app.url}{path}")
        assert task.status_code == 200 and 'name="about_child"' in task.text
        sent = parent.post(
            f"{broker.app.url}{path}",
            data={"about_child": "Hun elsker at tegne", "csrf_token": csrf_of(task.text)},
        )
        assert sent.status_code == 200 and "Tak for jeres svar" in sent.text
    signins = [e for e in _events(broker, invitation["id"]) if e.action == "parent.signin"]
    assert [e.detail.get("method") for e in signins] == ["mitid"]
    assert signins[0].detail["guardian_id"] == guardian.id and signins[0].actor_id is None
    _no_cpr_anywhere(broker)
    log = Path(broker.app.log_path).read_text(errors="replace")
    assert "GET /auth/citizen/callback" in log and "code=" not in log and "state=" not in log
    assert path.rsplit("/", 1)[1] not in log  # the link's token


@pytest.mark.parametrize(
    ("account", "recorded", "reason"),
    [
        ("nabo", MOTHER_CPR, "other_person"),
        ("mor", None, "no_cpr_recorded"),
        ("uden-cpr", MOTHER_CPR, "no_cpr_claim"),
    ],
)
def test_anyone_but_the_invited_guardian_is_refused_and_audited(
    broker: Sso, account: str, recorded: str | None, reason: str
) -> None:
    invitation, _guardian = invitation_for(broker, recorded)
    path = httpx.URL(invitation["url"]).path
    with httpx.Client(follow_redirects=False, timeout=30) as parent:
        answer = _mitid(broker, parent, invitation, account)
        assert answer.status_code == 403
        assert "Vi kan ikke se, at det er jer, invitationen er sendt til" in answer.text
        assert f'href="{path}"' in answer.text
        assert "opspor_parent=" not in answer.headers.get("set-cookie", "")
        page = parent.get(f"{broker.app.url}{path}")  # still only the code form
        assert page.status_code == 200 and 'name="code"' in page.text and "about_child" not in page.text
    actions = [(e.action, e.detail.get("reason")) for e in _events(broker, invitation["id"])]
    assert ("parent.mitid_refused", reason) in actions
    assert "parent.signin" not in [action for action, _ in actions]
    with broker.session() as db:
        assert db.get(ParentInvitation, invitation["id"]).session_hash is None
    _no_cpr_anywhere(broker)


def test_a_sign_in_started_for_one_link_does_not_open_another(broker: Sso) -> None:
    first, _ = invitation_for(broker, MOTHER_CPR)
    second, _ = invitation_for(broker, MOTHER_CPR)
    with httpx.Client(follow_redirects=False, timeout=30) as parent:
        started = parent.get(f"{broker.app.url}{httpx.URL(first['url']).path}/mitid")
        callback = drive_to_callback(parent, started.headers["location"], "mor", broker.app.url)
        # The browser's flow cookie swapped for the other link's token.
        state_cookie = next(c for c in parent.cookies.jar if c.name == "opspor_citizen_flow")
        state = state_cookie.value.partition(".")[0]
        parent.cookies.jar.clear(state_cookie.domain, state_cookie.path, state_cookie.name)
        parent.cookies.set(
            "opspor_citizen_flow",
            f"{state}.{httpx.URL(second['url']).path.rsplit('/', 1)[1]}",
            domain=state_cookie.domain,
            path="/auth/citizen/",
        )
        answer = parent.get(callback)
        assert answer.status_code == 400 and "Login med MitID lykkedes ikke" in answer.text
    assert ("parent.mitid_failure", "flow_for_other_link") in [
        (e.action, e.detail.get("reason")) for e in _events(broker, second["id"])
    ]


def test_a_closed_link_does_not_start_a_sign_in(broker: Sso) -> None:
    invitation, _ = invitation_for(broker, MOTHER_CPR)
    path = httpx.URL(invitation["url"]).path
    with httpx.Client(base_url=broker.app.url, timeout=30) as staff:
        login(staff, HEALTH_VISITOR)
        assert staff.delete(f"/api/parent-invitations/{invitation['id']}").status_code in (200, 204)
    assert httpx.get(urljoin(broker.app.url, f"{path}/mitid")).status_code == 410
    assert httpx.get(urljoin(broker.app.url, "/p/unknown-token/mitid")).status_code == 404


def test_without_a_citizen_broker_the_link_offers_only_the_code(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = transition_for(client, db, child)
    invitation = invite(client, record["id"], guardians(db, child)[0].id).json()
    path = httpx.URL(invitation["url"]).path
    parent = parent_client(app)
    page = parent.get(path)
    assert page.status_code == 200 and 'name="code"' in page.text and "MitID" not in page.text
    assert parent.get(f"{path}/mitid").status_code == 404
    assert parent.get("/auth/citizen/callback?code=x&state=y").status_code == 404


def test_the_refusal_is_in_the_parents_language_and_the_mitid_page_is_small(broker: Sso) -> None:
    invitation, _guardian = invitation_for(broker, MOTHER_CPR)
    with broker.session() as db:
        db.get(ParentInvitation, invitation["id"]).language = "ar"
        db.commit()
    path = httpx.URL(invitation["url"]).path
    with httpx.Client(follow_redirects=False, timeout=30) as parent:
        page = parent.get(f"{broker.app.url}{path}")
        assert 'dir="rtl"' in page.text and "تسجيل الدخول باستخدام MitID" in page.text
        assert len(gzip.compress(page.content)) <= 20_000 and "<script" not in page.text
        answer = _mitid_in_arabic(broker, parent, path, "nabo")
        assert answer.status_code == 403 and 'lang="ar"' in answer.text and 'dir="rtl"' in answer.text
        assert "لا يمكننا التأكد من أنكم الشخص الذي أُرسلت إليه الدعوة" in answer.text


def _mitid_in_arabic(sso: Sso, parent: httpx.Client, path: str, username: str) -> httpx.Response:
    started = parent.get(f"{sso.app.url}{path}/mitid")
    return parent.get(drive_to_callback(parent, started.headers["location"], username, sso.app.url))


def test_no_mitid_sign_in_while_the_childs_concern_is_on_the_abuse_path(broker: Sso) -> None:
    invitation, _guardian = invitation_for(broker, MOTHER_CPR)
    path = httpx.URL(invitation["url"]).path
    with httpx.Client(follow_redirects=False, timeout=30) as parent:
        started = parent.get(f"{broker.app.url}{path}/mitid")
        callback = drive_to_callback(parent, started.headers["location"], "mor", broker.app.url)
        with broker.session() as db:  # meanwhile a concern on the abuse path is opened
            record = db.get(ParentInvitation, invitation["id"])
            db.add(
                Task(
                    key=f"test:abuse_path_review:{record.id}",
                    kind="abuse_path_review",
                    unit_id=record.unit_id,
                    child_id=record.child_id,
                    due_on=today(),
                )
            )
            db.commit()
        assert parent.get(callback).status_code == 404
        assert parent.get(f"{broker.app.url}{path}/mitid").status_code == 404
    actions = [e.action for e in _events(broker, invitation["id"])]
    assert "parent.held" in actions and "parent.signin" not in actions
