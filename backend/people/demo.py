"""The fictional demo municipality (contract: "Demo Kommune"), loaded idempotently.

Every person and phone number here is made up. Birth dates are relative to the day the data is
loaded, so the children are always 0–6 years old and screenings fall due realistically.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from backend.auth.passwords import hash_password
from backend.domain.dates import add_months, today
from backend.people.models import (
    AdbbCertification,
    Caseload,
    Child,
    Guardian,
    Municipality,
    Placement,
    Role,
    RoleAssignment,
    Room,
    Unit,
    UnitKind,
    User,
)

MUNICIPALITY_NAME = "Demo Kommune"
DEMO_PASSWORD = "demo"  # noqa: S105 - the contract's demo password, demo mode only

DEMO_LOGINS = [
    ("demo-sundhedsplejerske", "Mette Lund", "sundhedsplejerske"),
    ("demo-dagplejer", "Karin Madsen", "dagplejer"),
    ("demo-dagplejepaedagog", "Lise Berg", "dagplejepædagog"),
    ("demo-paedagog", "Jonas Krogh", "pædagog"),
    ("demo-leder", "Anne Vestergaard", "leder af de tre demo-enheder"),
    ("demo-admin", "Peter Dam", "kommunal administrator"),
    ("demo-raadgiver", "Rikke Holm", "forebyggende rådgiver i Børnehuset Solsikkens ressourceteam"),
]

FIRST_NAMES = [
    "Alma",
    "Noah",
    "Ida",
    "Oscar",
    "Freja",
    "William",
    "Ella",
    "Carl",
    "Agnes",
    "Alfred",
    "Clara",
    "Aksel",
    "Karla",
    "Valdemar",
    "Asta",
    "Malthe",
    "Luna",
    "Emil",
    "Olivia",
    "Lucas",
    "Ellie",
    "Storm",
    "Sofia",
    "Viggo",
    "Lærke",
    "Bertram",
    "Nora",
    "Elias",
    "Mille",
    "Otto",
    "Esther",
    "Magnus",
    "Frida",
    "August",
    "Merle",
    "Anton",
    "Liva",
    "Johan",
    "Ronja",
    "Theo",
    "Saga",
    "Felix",
]
SURNAMES = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Østergaard",
    "Bach",
    "Holm",
    "Kjær",
    "Dahl",
]
PARENT_NAMES = [
    "Maria",
    "Søren",
    "Camilla",
    "Thomas",
    "Louise",
    "Martin",
    "Sara",
    "Jakob",
    "Line",
    "Rasmus",
    "Julie",
    "Mikkel",
    "Sanne",
    "Kasper",
    "Nadia",
    "Henrik",
    "Stine",
    "Ali",
    "Mette",
    "Daniel",
]


@dataclass(frozen=True)
class DemoChild:
    age_days: int
    unit: str  # "hv", "cm", "nursery", "kindergarten"
    moved_from_hv_days_ago: int | None = None


def _children_plan() -> list[DemoChild]:
    plan = [DemoChild(d, "hv") for d in (20, 45, 65, 80, 100, 130, 170, 240, 255, 280, 320, 390)]
    plan += [DemoChild(d, "cm") for d in (300, 380, 450, 540, 620, 700, 800, 900, 1000)]
    plan.append(DemoChild(330, "cm", moved_from_hv_days_ago=20))
    plan += [DemoChild(d, "nursery") for d in (330, 420, 500, 610, 720, 830, 950, 1040)]
    plan += [
        DemoChild(d, "kindergarten")
        for d in (1150, 1260, 1380, 1500, 1610, 1720, 1830, 1950, 2050, 2150, 2250)
    ]
    return plan


def demo_municipality(db: Session) -> Municipality | None:
    return db.exec(select(Municipality).where(Municipality.name == MUNICIPALITY_NAME)).first()


def load_demo_data(db: Session, *, with_records: bool = True) -> bool:
    """Create the demo municipality unless it exists. Returns True when something was created.

    `with_records=False` gives the organisation and children only (tests that count records).
    """
    if demo_municipality(db) is not None:
        return False
    rng = random.Random(2026)
    municipality = Municipality(name=MUNICIPALITY_NAME, settings={})
    db.add(municipality)
    db.flush()
    units = {
        "hv": Unit(
            municipality_id=municipality.id, kind=UnitKind.health_visiting, name="Sundhedsplejen Nord"
        ),
        "cm": Unit(municipality_id=municipality.id, kind=UnitKind.childminding, name="Dagplejen Syd"),
        "inst": Unit(municipality_id=municipality.id, kind=UnitKind.institution, name="Børnehuset Solsikken"),
    }
    db.add_all(units.values())
    db.flush()
    rooms = {
        "nursery": Room(unit_id=units["inst"].id, name="Vuggestuen Mariehønen"),
        "kindergarten": Room(unit_id=units["inst"].id, name="Børnehaven Regnbuen"),
        "cm": Room(unit_id=units["cm"].id, name="Legestuegruppe Syd"),
    }
    db.add_all(rooms.values())
    users = _demo_users(db, municipality, units)
    db.flush()
    children = _demo_children(db, rng, municipality, units, rooms, users)
    db.flush()
    if not with_records:
        return True
    from backend.records.demo import DemoWorld, load_demo_records

    load_demo_records(
        DemoWorld(
            db=db, municipality=municipality, units=units, users=users, children=children, today=today()
        )
    )
    db.flush()
    return True


def _demo_users(db: Session, municipality: Municipality, units: dict[str, Unit]) -> dict[str, User]:
    password_hash = hash_password(DEMO_PASSWORD)
    roles = {
        "demo-sundhedsplejerske": [(Role.health_visitor, "hv")],
        "demo-dagplejer": [(Role.childminder, "cm")],
        "demo-dagplejepaedagog": [(Role.childminder_supervisor, "cm")],
        "demo-paedagog": [(Role.pedagogue, "inst")],
        "demo-leder": [(Role.leader, "hv"), (Role.leader, "cm"), (Role.leader, "inst")],
        "demo-admin": [(Role.admin, None)],
        "demo-raadgiver": [(Role.partner, "inst")],
    }
    users = {}
    for username, name, _label in DEMO_LOGINS:
        user = User(
            municipality_id=municipality.id,
            username=username,
            display_name=name,
            email=f"{username}@demo-kommune.example",
            password_hash=password_hash,
            is_demo=True,
        )
        db.add(user)
        db.flush()
        for role, unit_key in roles[username]:
            db.add(
                RoleAssignment(user_id=user.id, role=role, unit_id=units[unit_key].id if unit_key else None)
            )
        users[username] = user
    # A second childminder, so well-being rounds have two raters per child (no login).
    colleague = User(
        municipality_id=municipality.id,
        username="demo-dagplejer-2",
        display_name="Birgit Holm",
        password_hash=None,
        is_demo=True,
    )
    db.add(colleague)
    db.flush()
    db.add(RoleAssignment(user_id=colleague.id, role=Role.childminder, unit_id=units["cm"].id))
    users["demo-dagplejer-2"] = colleague
    # The demo health visitor has taken the ADBB training (issue 16): she finalises screenings.
    db.add(AdbbCertification(user_id=users["demo-sundhedsplejerske"].id, certified_on=date(2019, 9, 12)))
    return users


def _demo_cpr(birth: date, rng: random.Random) -> str:
    seventh = 4 if birth.year % 100 <= 36 else 0
    return birth.strftime("%d%m%y") + f"{seventh}{rng.randint(0, 999):03d}"


def _demo_children(
    db: Session,
    rng: random.Random,
    municipality: Municipality,
    units: dict[str, Unit],
    rooms: dict[str, Room],
    users: dict[str, User],
) -> dict[str, list[Child]]:
    """The children, by the key of the unit they are placed in now, youngest first."""
    now = today()
    surnames = list(SURNAMES)
    by_unit: dict[str, list[Child]] = {"hv": [], "cm": [], "inst": []}
    for index, plan in enumerate(_children_plan()):
        birth = now - timedelta(days=plan.age_days)
        surname = surnames[index % len(surnames)]
        child = Child(
            municipality_id=municipality.id,
            name=f"{FIRST_NAMES[index]} {surname}",
            birth_date=birth,
            cpr=_demo_cpr(birth, rng) if index % 3 == 0 else None,
        )
        db.add(child)
        db.flush()
        _demo_guardians(db, rng, child, surname, index)
        unit_key = "inst" if plan.unit in ("nursery", "kindergarten") else plan.unit
        room = rooms.get(plan.unit) if plan.unit != "hv" else None
        starts_on = birth + timedelta(days=10) if plan.unit == "hv" else add_months(birth, 10)
        if plan.moved_from_hv_days_ago is not None:
            moved_on = now - timedelta(days=plan.moved_from_hv_days_ago)
            db.add(
                Placement(
                    child_id=child.id,
                    unit_id=units["hv"].id,
                    starts_on=birth + timedelta(days=10),
                    ends_on=moved_on,
                )
            )
            starts_on = moved_on
        elif plan.unit == "kindergarten":
            db.add(
                Placement(
                    child_id=child.id,
                    unit_id=units["inst"].id,
                    room_id=rooms["nursery"].id,
                    starts_on=starts_on,
                    ends_on=add_months(birth, 34),
                )
            )
            starts_on = add_months(birth, 34)
        db.add(
            Placement(
                child_id=child.id,
                unit_id=units[unit_key].id,
                room_id=room.id if room else None,
                starts_on=min(starts_on, now),
            )
        )
        responsible = {
            "hv": "demo-sundhedsplejerske",
            "cm": "demo-dagplejer" if index % 2 == 0 else "demo-dagplejer-2",
            "nursery": "demo-paedagog",
            "kindergarten": "demo-paedagog",
        }[plan.unit]
        db.add(
            Caseload(
                user_id=users[responsible].id,
                child_id=child.id,
                unit_id=units[unit_key].id,
                since=min(starts_on, now),
            )
        )
        by_unit[unit_key].append(child)
    for children in by_unit.values():
        children.sort(key=lambda c: c.birth_date, reverse=True)
    return by_unit


def _demo_guardians(db: Session, rng: random.Random, child: Child, surname: str, index: int) -> None:
    count = 1 if index % 5 == 4 else 2
    for number in range(count):
        first = PARENT_NAMES[(index * 2 + number) % len(PARENT_NAMES)]
        relation = ("mor", "far")[number] if count == 2 else "mor"
        db.add(
            Guardian(
                child_id=child.id,
                name=f"{first} {surname}",
                relation=relation,
                phone=f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)}",
                email=f"{first.lower()}.{surname.lower()}@example.com".replace("ø", "oe"),
            )
        )
