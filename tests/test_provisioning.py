"""Users and roles from single sign-on, on every database (the flows themselves: test_oidc.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend.auth.models import OidcLogin
from backend.auth.oidc import Identity
from backend.auth.provisioning import NoAccess, provision
from backend.auth.sessions import end_session, start_session
from backend.config import get_settings
from backend.people.models import Municipality, RoleAssignment, Unit, User
from tests.support import unit_named, user_named

ISSUER = "https://login.kommune.example/v2.0"


@pytest.fixture
def units(db, demo) -> dict[str, str]:
    return {
        "hv": unit_named(db, "Sundhedsplejen Nord").id,
        "cm": unit_named(db, "Dagplejen Syd").id,
        "inst": unit_named(db, "Børnehuset Solsikken").id,
    }


@pytest.fixture
def settings(units):
    role_map = {
        "hv": [{"role": "health_visitor", "unit_id": units["hv"]}],
        "ledere": [{"role": "leader", "unit_id": units["cm"]}, {"role": "leader", "unit_id": units["inst"]}],
        "admin": [{"role": "admin", "unit_id": units["hv"]}],
        "ukendt": [{"role": "pedagogue", "unit_id": "00000000-0000-0000-0000-000000000000"}],
        "forkert-rolle": [{"role": "superuser", "unit_id": units["hv"]}],
    }
    return get_settings().model_copy(update={"oidc_role_map": role_map, "oidc_issuer": ISSUER})


def _identity(sub: str, groups: list[str] | str, **claims: str) -> Identity:
    return Identity(
        issuer=ISSUER, subject=sub, claims={"sub": sub, "groups": groups, **claims}, id_token="x.y.z"
    )


def _roles(db, user_id: str) -> set[tuple[str, str | None, str]]:
    rows = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)).all()
    return {(r.role, r.unit_id, r.source) for r in rows}


def test_first_sign_in_creates_the_user_with_mapped_roles(db, settings, units) -> None:
    identity = _identity("abc-123", ["hv", "ledere", "ukendt", "forkert-rolle", "kantine"], name="Bo Berg")
    result = provision(db, settings, identity)
    db.commit()
    user = result.user
    assert result.created
    assert (user.oidc_issuer, user.oidc_subject, user.display_name) == (ISSUER, "abc-123", "Bo Berg")
    assert user.password_hash is None and not user.is_demo
    assert user.municipality_id == db.get(Unit, units["hv"]).municipality_id
    assert _roles(db, user.id) == {
        ("health_visitor", units["hv"], "oidc"),
        ("leader", units["cm"], "oidc"),
        ("leader", units["inst"], "oidc"),
    }


def test_a_single_group_string_works_too(db, settings, units) -> None:
    user = provision(db, settings, _identity("s", "hv")).user
    assert _roles(db, user.id) == {("health_visitor", units["hv"], "oidc")}


def test_later_sign_ins_replace_provider_roles_and_keep_local_ones(db, settings, units) -> None:
    user = provision(db, settings, _identity("abc", ["hv"])).user
    db.add(RoleAssignment(user_id=user.id, role="pedagogue", unit_id=units["inst"]))
    db.add(RoleAssignment(user_id=user.id, role="leader", unit_id=units["inst"], source="local"))
    db.commit()
    # "leader in inst" is also given locally: the local row stays, no duplicate is added.
    result = provision(db, settings, _identity("abc", ["ledere", "admin"]))
    db.commit()
    assert not result.created and result.user.id == user.id
    assert _roles(db, user.id) == {
        ("leader", units["cm"], "oidc"),
        ("admin", None, "oidc"),
        ("pedagogue", units["inst"], "local"),
        ("leader", units["inst"], "local"),
    }
    assert result.removed == [("health_visitor", units["hv"])]
    assert sorted(result.added, key=str) == sorted([("admin", None), ("leader", units["cm"])], key=str)


def test_no_mapped_role_means_no_access_and_no_user(db, settings) -> None:
    with pytest.raises(NoAccess) as refused:
        provision(db, settings, _identity("nobody", ["kantine", "ukendt"]))
    assert refused.value.reason == "no_mapped_role"
    assert db.exec(select(User).where(User.oidc_subject == "nobody")).first() is None


def test_losing_every_group_removes_the_provider_roles(db, settings, units) -> None:
    user = provision(db, settings, _identity("abc", ["hv"])).user
    db.commit()
    session = start_session(db, get_settings(), user.id)
    db.commit()
    with pytest.raises(NoAccess):
        provision(db, settings, _identity("abc", []))
    db.commit()
    assert _roles(db, user.id) == set()
    assert db.get(type(session.record), session.record.id) is None


def test_groups_in_several_municipalities_give_no_access(db, settings, units) -> None:
    other = Municipality(name="Anden Kommune")
    db.add(other)
    db.flush()
    foreign = Unit(municipality_id=other.id, kind="institution", name="Fremmed")
    db.add(foreign)
    db.commit()
    settings.oidc_role_map["fremmed"] = [{"role": "pedagogue", "unit_id": foreign.id}]
    with pytest.raises(NoAccess) as refused:
        provision(db, settings, _identity("abc", ["hv", "fremmed"]))
    assert refused.value.reason == "several_municipalities"
    user = provision(db, settings, _identity("abc", ["hv"])).user
    db.commit()
    with pytest.raises(NoAccess) as moved:
        provision(db, settings, _identity("abc", ["fremmed"]))
    assert moved.value.reason == "other_municipality"
    db.commit()
    assert _roles(db, user.id) == set()


def test_a_deactivated_user_gets_no_access(db, settings) -> None:
    user = provision(db, settings, _identity("abc", ["hv"])).user
    user.active = False
    db.add(user)
    db.commit()
    with pytest.raises(NoAccess) as refused:
        provision(db, settings, _identity("abc", ["hv"]))
    assert refused.value.reason == "inactive"


def test_users_are_found_by_issuer_and_subject_only(db, settings) -> None:
    local = user_named(db, "demo-leder")
    identity = _identity("zz", ["hv"], email=local.email, preferred_username="demo-leder")
    user = provision(db, settings, identity).user
    db.commit()
    assert user.id != local.id
    assert user.username != "demo-leder"  # the wanted username is taken
    assert user_named(db, "demo-leder").oidc_subject is None
    other_issuer = Identity(
        issuer="https://andet.example", subject="zz", claims={"sub": "zz", "groups": ["hv"]}, id_token=""
    )
    assert provision(db, settings, other_issuer).user.id != user.id


def test_the_id_token_goes_with_its_session(db, settings) -> None:
    user = provision(db, settings, _identity("abc", ["hv"])).user
    new = start_session(db, get_settings(), user.id)
    db.flush()
    db.add(OidcLogin(session_id=new.record.id, id_token="a.b.c"))
    db.commit()
    end_session(db, new.token)
    db.commit()
    db.expire_all()
    assert db.get(OidcLogin, new.record.id) is None
