"""One e-mail check and one birth-date check: the admin's forms and the CSV import agree.

Before, the child form took `a@b` (it only looked for an @) while the import refused it, and the
user form and the import each had a pattern of their own. Now every path asks `backend.domain.contact`.
"""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from backend.domain.contact import birth_date_problem, email_is_valid
from backend.domain.dates import today
from backend.people.models import Child, User
from tests.support import login
from tests.test_admin_children import _register
from tests.test_admin_import import csv_bytes, dry_run, good_rows

REFUSED = ["a@b", "a b@example.com", "anna@", "@example.com", "anna@example..com", "x" * 320 + "@example.com"]
ACCEPTED = ["hanne@example.com", "søs.ågård@børnehus.dk", "a+b@kommune.example"]


@pytest.mark.parametrize("address", REFUSED)
def test_the_one_email_check_refuses_malformed_addresses(address: str) -> None:
    assert not email_is_valid(address)


@pytest.mark.parametrize("address", ACCEPTED)
def test_the_one_email_check_accepts_real_addresses_without_asking_the_network(address: str) -> None:
    assert email_is_valid(address)


def _import_row(address: str) -> list[str]:
    row = good_rows()[0]
    row[-1] = address
    return row


@pytest.mark.parametrize("address", ["a@b", "a b@example.com"])
def test_the_child_form_and_the_import_both_refuse_a_bad_address(client, db, demo, address: str) -> None:
    login(client, "demo-admin")
    form = _register(client, db, **{"guardian-0-email": address})
    assert form.status_code == 422 and "E-mailadressen er ikke gyldig." in form.text
    checked = dry_run(client, csv_bytes([_import_row(address)]))
    assert checked.status_code == 422 and "er ikke gyldig" in checked.text
    assert "/run" not in checked.text
    db.expire_all()
    assert db.exec(select(Child).where(Child.name == "Bodil Testesen")).first() is None


def test_the_child_form_and_the_import_both_accept_a_good_address(client, db, demo) -> None:
    login(client, "demo-admin")
    form = _register(client, db, **{"guardian-0-email": "søs@børnehus.dk"})
    assert form.status_code == 303
    checked = dry_run(client, csv_bytes([_import_row("søs@børnehus.dk")]))
    assert checked.status_code == 200 and "er ikke gyldig" not in checked.text
    assert "/run" in checked.text


def test_the_user_form_refuses_what_the_import_refuses(client, db, demo) -> None:
    login(client, "demo-admin")
    response = client.post("/admin/users", data={"display_name": "A B", "username": "ab", "email": "a@b"})
    assert response.status_code == 422 and "E-mailadressen er ikke gyldig." in response.text
    db.expire_all()
    assert db.exec(select(User).where(User.username == "ab")).first() is None


def test_one_birth_date_rule() -> None:
    on = date(2026, 6, 1)
    assert birth_date_problem(on + timedelta(days=1), on) == "Fødselsdatoen ligger i fremtiden."
    assert birth_date_problem(date(2007, 12, 31), on) == "Fødselsdatoen er mere end 18 år gammel."
    assert birth_date_problem(date(2008, 1, 1), on) is None
    assert birth_date_problem(on, on) is None


def test_the_child_form_and_the_import_refuse_the_same_old_birth_date(client, db, demo) -> None:
    login(client, "demo-admin")
    old = today().replace(year=today().year - 19, month=1, day=1).isoformat()
    form = _register(client, db, birth_date=old, starts_on=today().isoformat())
    assert form.status_code == 422 and "mere end 18 år gammel" in form.text
    row = good_rows()[2]
    row[1], row[5] = old, today().isoformat()
    checked = dry_run(client, csv_bytes([row]))
    assert checked.status_code == 422 and "mere end 18 år gammel" in checked.text
