"""The `opspor` command of the contract."""

import subprocess
import sys

from sqlmodel import select

from backend.auth.passwords import verify_password
from backend.people.models import RoleAssignment, User
from tests.support import PROJECT_DIR, TEST_HASHING


def _opspor(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=PROJECT_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "OPSPOR_DATABASE_URL": db_url,
            "PATH": "/usr/bin:/bin",
            "OPSPOR_SECRET_KEY": "x",
            **TEST_HASHING,
        },
    )


def test_demo_data_command_is_idempotent_and_prints_the_logins(db_url) -> None:
    first = _opspor(db_url, "demo-data")
    assert first.returncode == 0, first.stderr
    assert "Demodata indlæst." in first.stdout and "demo-sundhedsplejerske" in first.stdout
    second = _opspor(db_url, "demo-data", "--if-empty")
    assert second.returncode == 0
    assert "allerede data" in second.stdout


def test_create_user_with_roles_in_units(db_url, db) -> None:
    _opspor(db_url, "demo-data")
    result = _opspor(
        db_url,
        "create-user",
        "ny.sundhedsplejerske",
        "--name",
        "Ny Kollega",
        "--role",
        "health_visitor:Sundhedsplejen Nord",
        "--password-stdin",
        stdin="en-lang-adgangskode\n",
    )
    assert result.returncode == 0, result.stderr
    user = db.exec(select(User).where(User.username == "ny.sundhedsplejerske")).one()
    assert verify_password(user.password_hash, "en-lang-adgangskode")
    assert not user.is_demo
    roles = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all()
    assert [r.role for r in roles] == ["health_visitor"]


def test_create_user_refuses_unknown_units_and_short_passwords(db_url) -> None:
    _opspor(db_url, "demo-data")
    unknown = _opspor(
        db_url,
        "create-user",
        "x",
        "--name",
        "X",
        "--role",
        "pedagogue:Månen",
        "--password-stdin",
        stdin="en-lang-adgangskode\n",
    )
    assert unknown.returncode == 2 and "Ukendt enhed" in unknown.stderr
    short = _opspor(db_url, "create-user", "y", "--name", "Y", "--password-stdin", stdin="kort\n")
    assert short.returncode == 2 and "mindst 10 tegn" in short.stderr


def test_sealing_key_rotate_adds_a_current_key_and_keeps_the_old_ones(db_url, db) -> None:
    from backend.sync.models import SealingKey

    first = _opspor(db_url, "sealing-key", "rotate")
    assert first.returncode == 0, first.stderr
    second = _opspor(db_url, "sealing-key", "rotate")
    assert "nr. 2" in second.stdout and "De ældre åbner stadig" in second.stdout
    db.expire_all()
    keys = db.exec(select(SealingKey).order_by(SealingKey.generation)).all()
    assert [k.generation for k in keys] == [1, 2] and keys[1].kid in second.stdout
