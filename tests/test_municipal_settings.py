"""The admin's municipal settings page: validated, typed values kept, every change audited."""

from datetime import timedelta

from sqlmodel import select

from backend.domain.dates import today
from backend.domain.settings import MunicipalSettings, load_settings
from backend.domain.settings_form import settings_to_form
from backend.people.models import Municipality
from tests.support import adbb_data, child_aged, login, put_record
from tests.wellbeing_support import audit_actions


def _stored(db) -> dict:
    db.expire_all()
    return db.exec(select(Municipality)).one().settings


def _form(**changes: str) -> dict[str, str]:
    form = settings_to_form(MunicipalSettings())
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}  # an unchecked box sends nothing


def test_only_the_admin_sees_the_settings_page(client, demo) -> None:
    for username in ("demo-leder", "demo-paedagog"):
        login(client, username)
        assert client.get("/admin/settings").status_code == 403
        assert client.post("/admin/settings", data=_form(adbb_cutoff="6")).status_code == 403
    login(client, "demo-admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert 'name="adbb_cutoff"' in page.text and 'value="5"' in page.text
    assert "Kommunale indstillinger" in page.text


def test_the_page_shows_every_setting(client, demo) -> None:
    login(client, "demo-admin")
    page = client.get("/admin/settings").text
    for name in settings_to_form(MunicipalSettings()):
        assert f'name="{name}"' in page, name
    assert "Hver screening gemmer den grænse, den blev vurderet efter" in page


def test_a_change_is_stored_and_audited(client, demo, db) -> None:
    login(client, "demo-admin")
    response = client.post(
        "/admin/settings",
        data=_form(
            adbb_cutoff="6", label_preset="colours", parent_involvement_hint="on", rounds_childminding="3"
        ),
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/settings?gemt=1"
    settings = load_settings(_stored(db))
    assert settings.adbb_cutoff == 6 and settings.parent_involvement_hint is True
    assert settings.position_labels == {"thriving": "Grøn", "extra_attention": "Gul", "concern": "Rød"}
    assert settings.rounds_per_year["childminding"] == 3
    [event] = audit_actions(db, "settings.update")
    assert event.detail["changed"]["adbb_cutoff"] == [5, 6]
    assert set(event.detail["changed"]) == {
        "adbb_cutoff",
        "position_labels",
        "parent_involvement_hint",
        "rounds_per_year",
    }
    assert "Indstillingerne er gemt." in client.get("/admin/settings?gemt=1").text


def test_saving_without_changes_writes_nothing(client, demo, db) -> None:
    login(client, "demo-admin")
    assert client.post("/admin/settings", data=_form()).headers["location"] == "/admin/settings?gemt=0"
    assert audit_actions(db, "settings.update") == []
    assert _stored(db) == {}


def test_bad_values_are_refused_in_danish_and_kept_as_typed(client, demo, db) -> None:
    login(client, "demo-admin")
    response = client.post(
        "/admin/settings",
        data=_form(
            adbb_cutoff="fem<script>",
            offline_days="0",
            label_preset="custom",
            label_thriving="",
            digest_time="7",
        ),
    )
    assert response.status_code == 422
    page = response.text
    assert "Skriv et helt tal." in page and "Skal være mellem 1 og 60." in page
    assert "Skriv en betegnelse." in page and "Skriv et klokkeslæt som 07:30." in page
    assert 'value="fem&lt;script&gt;"' in page and 'value="7"' in page
    assert 'name="label_preset" value="custom" checked' in page
    assert 'aria-invalid="true"' in page
    assert _stored(db) == {}
    assert audit_actions(db, "settings.update") == []


def test_settings_the_page_does_not_know_are_kept(client, demo, db) -> None:
    municipality = db.exec(select(Municipality)).one()
    municipality.settings = {"retention_years": 7, "adbb_cutoff": 5}
    db.add(municipality)
    db.commit()
    login(client, "demo-admin")
    client.post("/admin/settings", data=_form(offline_days="3"))
    stored = _stored(db)
    assert stored["retention_years"] == 7 and stored["offline_days"] == 3


def test_a_new_cutoff_applies_to_new_screenings_only(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    earlier = put_record(client, "adbb", child.id, adbb_data((today() - timedelta(days=2)).isoformat(), 5))
    assert earlier.json()["derived"]["cutoff"] == 5 and earlier.json()["derived"]["above_cutoff"]
    login(client, "demo-admin")
    client.post("/admin/settings", data=_form(adbb_cutoff="7"))
    login(client, "demo-sundhedsplejerske")
    later = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 5, occasion="follow_up"))
    assert later.json()["derived"]["cutoff"] == 7 and not later.json()["derived"]["above_cutoff"]
    record = client.get(f"/api/records/{earlier.json()['id']}").json()
    assert record["derived"]["cutoff"] == 5


def test_the_labels_chosen_are_the_labels_everyone_sees(client, demo, db) -> None:
    login(client, "demo-admin")
    custom = _form(
        label_preset="custom",
        label_thriving="Godt på vej",
        label_extra_attention="Undren",
        label_concern="Uro",
    )
    client.post("/admin/settings", data=custom)
    from tests.support import children_of_unit
    from tests.wellbeing_support import add_round

    round_id = add_round(db, "Dagplejen Syd", today(), today() + timedelta(days=20))
    login(client, "demo-dagplejer")
    page = client.get(
        f"/forms/wellbeing?child={children_of_unit(db, 'Dagplejen Syd')[0].id}&round={round_id}"
    ).text
    assert "<span>Godt på vej</span>" in page and "<span>Uro</span>" in page


def test_the_forum_access_days_are_set_on_the_form(client, demo, db) -> None:
    """Issue 16: how long partners can read a forum case after the meeting (1–90 days)."""
    login(client, "demo-admin")
    page = client.get("/admin/settings").text
    assert 'name="forum_access_days"' in page and 'value="14"' in page
    for bad in ("0", "91", "to uger"):
        refused = client.post("/admin/settings", data=_form(forum_access_days=bad))
        assert refused.status_code == 422, bad
        assert (
            'href="#s-forum_access_days"' in refused.text or 'id="s-forum_access_days-error"' in refused.text
        )
        assert f'value="{bad}"' in refused.text
    assert "mellem 1 og 90" in client.post("/admin/settings", data=_form(forum_access_days="0")).text.lower()
    saved = client.post("/admin/settings", data=_form(forum_access_days="30"))
    assert saved.status_code == 303
    assert load_settings(_stored(db)).forum_access_days == 30
    [event] = audit_actions(db, "settings.update")
    assert event.detail["changed"]["forum_access_days"] == [14, 30]


def test_the_lock_minutes_are_validated_and_given_to_every_signed_in_page(client, demo, db) -> None:
    assert 'name="opspor-lock-minutes"' not in client.get("/login").text
    login(client, "demo-paedagog")
    assert '<meta name="opspor-lock-minutes" content="5">' in client.get("/").text  # the default
    login(client, "demo-admin")
    for typed, message in (("0", "Skal være mellem 1 og 60."), ("61", "Skal være mellem 1 og 60."),
                           ("fem", "Skriv et helt tal."), ("", "Skal udfyldes.")):  # fmt: skip
        refused = client.post("/admin/settings", data=_form(lock_minutes=typed))
        assert refused.status_code == 422 and message in refused.text, typed
        assert 'id="s-lock_minutes"' in refused.text
    assert "lock_minutes" not in _stored(db)
    assert client.post("/admin/settings", data=_form(lock_minutes="12")).status_code == 303
    assert _stored(db)["lock_minutes"] == 12
    [event] = audit_actions(db, "settings.update")
    assert event.detail["changed"] == {"lock_minutes": [5, 12]}
    login(client, "demo-paedagog")
    for path in ("/", "/children", "/tasks"):
        assert '<meta name="opspor-lock-minutes" content="12">' in client.get(path).text, path
