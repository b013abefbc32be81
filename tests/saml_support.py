"""A real SAML identity provider for the tests, and an app configured to use it.

- `IdentityProvider`: pysaml2's own IdP (`saml2.server.Server`, with xmlsec1) behind a tiny WSGI
  app on a free 127.0.0.1 port. `GET /sso` takes the app's signed AuthnRequest (HTTP-Redirect;
  an unsigned or badly signed one is refused) and answers with the HTTP-POST binding's form
  (auto-submitted in a browser). `GET /slo` takes a signed LogoutRequest and redirects back
  with a LogoutResponse. Who signs in, and how the response is made (signed or not, encrypted,
  expired, for another audience or recipient), is set on the object by the test.
- `running_saml`: the demo municipality in a SQLite file, the IdP and `opspor serve`, started.
- `drive_to_acs` / `post_to_acs`: a browser's part of the flow with httpx.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import time_machine
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from sqlalchemy import Engine, text
from sqlmodel import select

from backend.audit import AuditEvent
from backend.auth.saml import PRIVILEGE_ATTRIBUTES, _generate_key_pair
from backend.people.models import RoleAssignment, Unit, User
from tests.support import LiveServer, free_port

PRIVILEGE_ATTRIBUTE = PRIVILEGE_ATTRIBUTES[0]
CVR_SCOPE = "urn:dk:gov:saml:cvrNumberIdentifier:29189854"
P_HEALTH_VISITOR = "http://opspor.dk/roles/usersystemrole/sundhedsplejerske/1"
P_LEADER = "http://opspor.dk/roles/usersystemrole/leder/1"
P_CANTEEN = "http://kantine.dk/roles/usersystemrole/kok/1"
#: How long the test IdP's assertions are valid.
LIFETIME_MINUTES = 5
KLE_CONSTRAINT = "http://sts.kombit.dk/constraints/KLE/1"


def privileges_attribute(groups: list[tuple[str, list[str], list[str]]], scope: str = CVR_SCOPE) -> str:
    """The base64 `bpp:PrivilegeList` of (privilege, constraint values, ...) groups."""
    parts = ['<bpp:PrivilegeList xmlns:bpp="http://itst.dk/oiosaml/basic_privilege_profile">']
    for privilege, constraints, _ in groups:
        parts.append(f'<PrivilegeGroup Scope="{html.escape(scope)}">')
        parts.append(f"<Privilege>{html.escape(privilege)}</Privilege>")
        parts.extend(
            f'<Constraint Name="{KLE_CONSTRAINT}">{html.escape(value)}</Constraint>' for value in constraints
        )
        parts.append("</PrivilegeGroup>")
    parts.append("</bpp:PrivilegeList>")
    return base64.b64encode("".join(parts).encode()).decode()


@dataclass
class Person:
    subject: str
    name: str
    privileges: list[str]
    constraints: dict[str, list[str]] = field(default_factory=dict)

    def attributes(self) -> dict[str, list[str]]:
        groups = [(p, self.constraints.get(p, []), []) for p in self.privileges]
        return {
            "https://data.gov.dk/model/core/eid/fullName": [self.name],
            PRIVILEGE_ATTRIBUTE: [privileges_attribute(groups)],
        }


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True


class IdentityProvider:
    """pysaml2's IdP behind a WSGI app on a free port; the tests set `person` and `options`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.entity_id = self.url + "/metadata"
        self.key_file, self.cert_file = folder / "idp_key.pem", folder / "idp_cert.pem"
        _generate_key_pair(self.key_file, self.cert_file, "Test IdP")
        self.metadata_file = folder / "idp_metadata.xml"
        self.metadata_file.write_text(create_metadata_string(None, config=self._config(None)).decode())
        self.server: Server | None = None
        self.httpd: WSGIServer | None = None
        self.person: Person | None = None
        self.options: dict = {}
        self.logout_requests: list[str] = []  # the NameIDs of the LogoutRequests received

    def _config(self, sp_metadata: str | None) -> IdPConfig:
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            "key_file": str(self.key_file),
            "cert_file": str(self.cert_file),
            "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(self.url + "/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(self.url + "/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": True,
                    "policy": {
                        "default": {"lifetime": {"minutes": LIFETIME_MINUTES}, "name_form": NAME_FORMAT_URI}
                    },
                }
            },
        }
        return IdPConfig().load(conf)

    def start(self, sp_metadata: str) -> None:
        self.server = Server(config=self._config(sp_metadata))
        self.httpd = make_server(
            "127.0.0.1", self.port, self._wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    # --- the two endpoints ----------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if environ["PATH_INFO"] == "/sso":
                status, headers, body = self._sso(query)
            elif environ["PATH_INFO"] == "/slo":
                status, headers, body = self._slo(query)
            else:
                status, headers, body = "404 Not Found", [], b"not found"
        except Exception as error:
            status, headers, body = "400 Bad Request", [], f"refused: {type(error).__name__}".encode()
        start_response(status, [("Content-Type", "text/html; charset=utf-8"), *headers])
        return [body]

    def _sso(self, query: dict[str, str]):
        assert self.server is not None
        if "Signature" not in query:
            raise ValueError("unsigned AuthnRequest")
        request = self.server.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        if request is None:
            raise ValueError("bad AuthnRequest")
        message = request.message
        self.last_request_id = message.id
        saml_response = self.response_for(message.id, message.assertion_consumer_service_url)
        form = (
            f'<form method="post" action="{html.escape(message.assertion_consumer_service_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(query.get("RelayState", ""))}">'
            '<button type="submit">Fortsæt</button></form>'
            "<script>document.forms[0].submit()</script>"
        )
        return "200 OK", [], f"<!doctype html><html><body>{form}</body></html>".encode()

    def response_for(self, request_id: str, acs_url: str) -> str:
        """The base64 SAML Response the IdP posts, made as `options` say."""
        assert self.server is not None and self.person is not None
        options = self.options
        sp_entity_id = next(iter(self.server.metadata.service_providers()))
        signed = options.get("signed", True)
        encrypt = options.get("encrypt", False)
        kwargs = {}
        if encrypt:
            sp_cert = self.server.metadata.certs(sp_entity_id, "spsso", "encryption")[0][1]
            kwargs = {"encrypt_assertion": True, "encrypt_cert_assertion": sp_cert}
        # An IdP whose clock is off by `clock_offset` seconds: its assertions' times are shifted.
        with time_machine.travel(time.time() + options.get("clock_offset", 0), tick=True):
            response = self.server.create_authn_response(
                identity=self.person.attributes(),
                in_response_to=request_id,
                destination=options.get("destination", acs_url),
                sp_entity_id=options.get("audience", sp_entity_id),
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.person.subject),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                sign_assertion=signed,
                sign_response=False,
                **kwargs,
            )
        xml = str(response)
        for old, new in options.get("tamper", []):
            assert old in xml, "nothing to tamper with"
            xml = xml.replace(old, new)
        return base64.b64encode(xml.encode()).decode()

    def _slo(self, query: dict[str, str]):
        assert self.server is not None
        if "Signature" not in query:
            raise ValueError("unsigned LogoutRequest")
        request = self.server.parse_logout_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        self.logout_requests.append(request.message.name_id.text)
        response = self.server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT], sign=False)
        destination = self.server.metadata.single_logout_service(
            request.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            relay_state=query.get("RelayState"),
            response=True,
            sign=True,
        )
        location = dict(info["headers"])["Location"]
        return "303 See Other", [("Location", location)], b""


# --- the app and the IdP, started -------------------------------------------------------------


@dataclass
class Saml:
    app: LiveServer
    idp: IdentityProvider
    engine: Engine
    units: dict[str, str]

    def session(self):
        from backend.db import new_session

        return new_session(self.engine)

    def user_by_subject(self, subject: str) -> User | None:
        with self.session() as db:
            return db.exec(select(User).where(User.oidc_subject == subject)).first()

    def roles(self, user_id: str) -> set[tuple[str, str | None, str]]:
        with self.session() as db:
            rows = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)).all()
            return {(row.role, row.unit_id, row.source) for row in rows}

    def audit(self, action: str) -> list[AuditEvent]:
        with self.session() as db:
            query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            return list(db.exec(query))


def role_map(units: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {
        P_HEALTH_VISITOR: [{"role": "health_visitor", "unit_id": units["hv"]}],
        f"{P_LEADER}|27.24.00": [{"role": "leader", "unit_id": units["cm"]}],
    }


@contextmanager
def running_saml(folder: Path, sqlite_template: Path) -> Iterator[Saml]:
    from backend.db import make_engine, new_session
    from backend.people.demo import load_demo_data

    path = folder / "saml.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with new_session(engine) as db:
        load_demo_data(db)
        db.commit()
        names = {"hv": "Sundhedsplejen Nord", "cm": "Dagplejen Syd"}
        units = {key: db.exec(select(Unit).where(Unit.name == name)).one().id for key, name in names.items()}
    idp = IdentityProvider(folder)
    sp_key, sp_cert = folder / "sp_key.pem", folder / "sp_cert.pem"
    _generate_key_pair(sp_key, sp_cert, "Opspor test SP")
    env = {
        "OPSPOR_SECRET_KEY": "saml-" + uuid.uuid4().hex,
        "OPSPOR_SAML_IDP_METADATA": str(idp.metadata_file),
        "OPSPOR_SAML_SP_KEY": str(sp_key),
        "OPSPOR_SAML_SP_CERT": str(sp_cert),
        "OPSPOR_SAML_ROLE_MAP": json.dumps(role_map(units)),
        "OPSPOR_RUN_SCHEDULER": "0",
    }
    app = LiveServer(f"sqlite:///{path}", env=env)
    app.start()
    try:
        idp.start(httpx.get(app.url + "/auth/saml/metadata").text)
        yield Saml(app, idp, engine, units)
    finally:
        app.stop()
        idp.stop()
        engine.dispose()


def fresh(saml: Saml, person: Person, **options: object) -> Saml:
    saml.idp.person = person
    saml.idp.options = dict(options)
    with saml.engine.begin() as connection:
        connection.execute(text("DELETE FROM login_attempt"))
    return saml


FORM_FIELD = re.compile(r'name="(SAMLResponse|RelayState)" value="([^"]*)"')


def drive_to_acs(client: httpx.Client, app_url: str, next_url: str = "/") -> tuple[str, dict[str, str]]:
    """Start at the app, follow the redirect binding to the IdP; the form it would post."""
    start = client.get(f"{app_url}/auth/saml/login", params={"next": next_url})
    assert start.status_code == 303, start.text[:300]
    at_idp = client.get(start.headers["location"])
    assert at_idp.status_code == 200, at_idp.text[:300]
    action = re.search(r'<form method="post" action="([^"]+)"', at_idp.text)
    assert action, at_idp.text[:300]
    fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(at_idp.text)}
    return html.unescape(action.group(1)), fields


def sign_in(client: httpx.Client, app_url: str, next_url: str = "/") -> httpx.Response:
    action, fields = drive_to_acs(client, app_url, next_url)
    return client.post(action, data=fields)


def decoded(fields: dict[str, str]) -> str:
    return base64.b64decode(fields["SAMLResponse"]).decode()


def with_response(fields: dict[str, str], xml: str) -> dict[str, str]:
    return {**fields, "SAMLResponse": base64.b64encode(xml.encode()).decode()}


def host_of(url: str) -> str:
    return urlsplit(url).netloc
