"""The receipt by e-mail for a consent given or withdrawn on the parent's own phone (issue 15),
through a real SMTP server on loopback: what was decided, when and about what, the withdrawal
link — never the child's name or the description's text; in the parent's language."""

from __future__ import annotations

import email
import re
from email import policy

import httpx
from sqlmodel import select

from backend.notify.models import OutgoingEmail
from tests import test_leader_email
from tests.parents_support import (
    HEALTH_VISITOR,
    csrf_of,
    guardians,
    hv_child,
    parent_client,
    signed_in_parent,
)
from tests.support import login
from tests.test_parent_consent import SHOWN, _consent_invitation, _decide, _final_transition

ADDRESS = "mor.hansen@example.org"
SENDER = test_leader_email.SENDER
#: The SMTP server on loopback that the leader's e-mail tests use.
smtp = test_leader_email.smtp


def _guardian_with_address(db, child, address: str):
    """The guardian the tests invite (the same one every time), with `address`; the others none."""
    chosen = min(guardians(db, child), key=lambda g: g.id)
    for guardian in guardians(db, child):
        guardian.email = address if guardian.id == chosen.id else ""
        db.add(guardian)
    db.commit()
    return db.get(type(chosen), chosen.id)


def _body(envelope) -> tuple[email.message.EmailMessage, str]:
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    return message, message.get_content()


def test_a_receipt_is_mailed_with_the_withdrawal_link_and_no_child_data(client, app, demo, db, smtp) -> None:
    inbox = smtp()
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    guardian = _guardian_with_address(db, child, ADDRESS)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "given")
    assert done.status_code == 200 and "Vi har sendt en kvittering" in done.text

    [envelope] = inbox.envelopes
    assert envelope.mail_from == SENDER and envelope.rcpt_tos == [ADDRESS]
    message, body = _body(envelope)
    assert message["Subject"] == "Kvittering for jeres samtykke"
    assert "I gav samtykke den" in body and "Dagplejen Syd" in body and guardian.name not in body
    [link] = re.findall(r"https?://\S+/p/withdraw/\S+", body)
    raw = envelope.original_content.decode("utf-8", "replace")
    for text in (child.name, *child.name.split(), child.cpr or "no-cpr", SHOWN, invitation["code"]):
        assert text not in raw and text not in body, text
    # The link in the mail withdraws; the withdrawal gets a receipt of its own.
    withdraw = httpx.URL(link).path
    stranger = parent_client(app)
    form = stranger.get(withdraw)
    assert stranger.post(withdraw, data={"csrf_token": csrf_of(form.text)}).status_code == 200
    assert len(inbox.envelopes) == 2
    _, second = _body(inbox.envelopes[1])
    assert "I trak jeres samtykke tilbage" in second and "/p/withdraw/" not in second
    stored = db.exec(select(OutgoingEmail)).all()
    assert len(stored) == 2 and all(e.sent_at is not None for e in stored)


def test_the_receipt_is_in_the_parents_language_and_none_without_an_address(
    client, app, demo, db, smtp
) -> None:
    inbox = smtp()
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    _guardian_with_address(db, child, "")
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "refused")
    assert done.status_code == 200 and "kvittering" not in done.text and inbox.envelopes == []

    _guardian_with_address(db, child, ADDRESS)
    second, _ = _consent_invitation(client, db, record, child)
    parent2, page2 = signed_in_parent(app, second)
    switched = parent2.post(
        f"{httpx.URL(second['url']).path}/language",
        data={"language": "en", "csrf_token": csrf_of(page2.text)},
    )
    assert switched.status_code == 303
    page2 = parent2.get(httpx.URL(second["url"]).path)
    assert _decide(parent2, second, page2, "given").status_code == 200
    [envelope] = inbox.envelopes
    message, body = _body(envelope)
    assert message["Subject"] == "Receipt for your consent" and "You gave consent on" in body
