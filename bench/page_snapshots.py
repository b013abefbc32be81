"""The HTML of "I dag" and the caseload for every demo login, written to a folder, so two versions
of the code can be compared on the same database (issue 21: a faster page must be the same page).

    python -m bench.page_snapshots URL --add-work        # once: a forum meeting, invitations
    python -m bench.page_snapshots URL OUT [--statements]  # with each version of the code

URL is a database with the demo municipality (e.g. from `bench.common.bench_database`); run it
once with each version of the code and `diff -r` the two folders. `--add-work` first gives the
demo what "I dag" shows besides (a forum meeting next week with two cases, the pedagogue a
member; two invitations sent by the health visitor). The CSRF tokens, which differ per sign-in,
are blanked.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from sqlalchemy import event

#: Every demo login (the partner's and the admin's lists take their own paths).
LOGINS = (
    "demo-sundhedsplejerske",
    "demo-dagplejer",
    "demo-dagplejer-2",
    "demo-dagplejepaedagog",
    "demo-paedagog",
    "demo-leder",
    "demo-admin",
    "demo-raadgiver",
)
_TOKENS = re.compile(
    r'(name="csrf_token" value="|"csrf_token": ?"|csrf-token" content="|"X-CSRF-Token": ")[^"]*'
)


def _pages(client) -> dict[str, object]:
    return {
        "today": lambda: client.get("/"),
        "caseload": lambda: client.get("/children"),
        "caseload-htmx": lambda: client.get("/children", headers={"HX-Request": "true"}),
        "search": lambda: client.post("/children", data={"q": "a"}),
        "search-htmx": lambda: client.post("/children", data={"q": "e"}, headers={"HX-Request": "true"}),
        "search-none": lambda: client.post("/children", data={"q": "zzz%_"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--add-work", action="store_true", help="add a forum meeting and invitations")
    parser.add_argument("--statements", action="store_true", help="print each request's statements")
    args = parser.parse_args()
    os.environ.update(
        OPSPOR_DATABASE_URL=args.url,
        OPSPOR_DEMO="1",
        OPSPOR_SECRET_KEY="snapshots",
        OPSPOR_BASE_URL="http://127.0.0.1",
        OPSPOR_RUN_SCHEDULER="0",
    )
    sys.path.insert(0, os.getcwd())
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.db import get_engine

    if args.add_work:
        _add_work(create_app)
        return
    statements: list[str] = []
    event.listen(get_engine(), "before_cursor_execute", lambda _c, _cu, s, *_a: statements.append(s))
    args.out.mkdir(parents=True, exist_ok=True)
    for username in LOGINS:
        with TestClient(create_app(), base_url="http://127.0.0.1", follow_redirects=False) as client:
            signed_in = client.post("/api/session", json={"username": username, "password": "demo"})
            if signed_in.status_code != 200:  # a login without a password (the second childminder)
                print(f"== {username}: no sign-in ({signed_in.status_code})")
                continue
            client.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
            for name, send in _pages(client).items():
                statements.clear()
                response = send()
                body = _TOKENS.sub(r"\1…", response.text)
                where = response.headers.get("location", "")
                (args.out / f"{username}.{name}.html").write_text(f"{response.status_code} {where}\n{body}")
                if args.statements:
                    print(f"== {username} {name}: {response.status_code}, {len(statements)} statements")
                    for statement in statements:
                        print("   ", " ".join(statement.split())[:400])


def _add_work(create_app) -> None:
    os.environ.setdefault("OPSPOR_PASSWORD_HASH_PROFILE", "test")
    from fastapi.testclient import TestClient

    from backend.db import new_session
    from backend.people.forum_models import ForumMember
    from tests.forum_support import forum_world, shared_case, user_named
    from tests.parents_support import invited
    from tests.support import unit_named

    with new_session() as db:
        world = forum_world(db)
        unit_id = unit_named(db, "Børnehuset Solsikken").id
        for child_id in world.children[:2]:
            shared_case(db, world.meeting_id, child_id, unit_id, world.leader_id)
        pedagogue = user_named(db, "demo-paedagog")
        db.add(ForumMember(forum_id=world.forum_id, user_id=pedagogue.id, role="internal"))
        db.commit()
        with TestClient(create_app(), base_url="http://127.0.0.1", follow_redirects=False) as client:
            invited(client, db)
            invited(client, db, part="meeting_preparation")


if __name__ == "__main__":
    main()
