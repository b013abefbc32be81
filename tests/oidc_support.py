"""A real OpenID provider for the tests, and a loopback proxy in front of it that can alter
what it answers.

- `OpenIdProvider`: npm `oidc-provider` (tests/node/oidc_provider.mjs) under `node`, on a free
  127.0.0.1 port, with fixed signing keys and an accounts file a test can rewrite.
- `ProviderProxy`: the provider's public address (its issuer). It forwards every request as it
  is, and can rewrite or delay the token endpoint's answer — for the cases a correct provider
  never produces (an ID token for another client, signed with another key, or arriving late).
- `drive_to_callback`: a browser's part of the flow, with httpx: follow the provider's
  redirects, fill its login form, stop at the app's callback URL (so a test can tamper with it).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, text
from sqlmodel import select

from backend.audit import AuditEvent
from backend.people.models import RoleAssignment, Unit, User
from tests.support import PROJECT_DIR, LiveServer, free_port

NODE_DIR = PROJECT_DIR / "tests" / "node"
CLIENT_ID = "opspor"
CLIENT_SECRET = "opspor-test-secret-" + "x" * 16
OTHER_CLIENT_ID = "anden-klient"
OTHER_CLIENT_SECRET = "anden-klient-secret-" + "y" * 16
OTHER_REDIRECT_URI = "http://127.0.0.1:9/anden/callback"
CITIZEN_CLIENT_ID = "opspor-borger"
CITIZEN_CLIENT_SECRET = "opspor-borger-secret-" + "z" * 16
KEY_ID = "opspor-test-key"


def signing_key(kid: str = KEY_ID) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


class OpenIdProvider:
    """`node tests/node/oidc_provider.mjs` on a free port; `issuer` may point at a proxy."""

    def __init__(self, issuer: str, port: int, clients: list[dict], key: RSAKey, accounts_file: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.issuer = issuer
        self.key = key
        self.accounts_file = accounts_file
        self.config = {
            "port": port,
            "issuer": issuer,
            "clients": clients,
            "jwks": {"keys": [key.as_dict(private=True)]},
            "accounts_file": str(accounts_file),
            "short_lived": ["kort-levetid"],
        }
        self.process: subprocess.Popen | None = None
        self.set_accounts({})

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        self.accounts_file.write_text(json.dumps(accounts))

    def start(self, timeout: float = 30) -> None:
        if not (NODE_DIR / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("oidc-provider is missing: run `make test` (npm ci in tests/node)")
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"oidc-provider-{self.port}.log"
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", "oidc_provider.mjs"],
                cwd=NODE_DIR,
                env={**os.environ, "OIDC_PROVIDER_CONFIG": json.dumps(self.config)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited with {self.process.returncode}; see {log_path}")
            try:
                discovery = httpx.get(self.url + "/.well-known/openid-configuration", timeout=1)
                if discovery.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("oidc-provider did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "upgrade"}


class ProviderProxy:
    """Forwards everything to the provider; the token endpoint's JSON can be rewritten or delayed."""

    def __init__(self, port: int, target_port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.target_port = target_port
        self.rewrite_token: Callable[[dict], dict] | None = None
        self.delay_token = 0.0
        self.paths: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def reset(self) -> None:
        self.rewrite_token = None
        self.delay_token = 0.0
        self.paths.clear()

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                proxy.paths.append(self.path.split("?")[0])
                connection = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=30)
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                response_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                connection.close()
                if self.command == "POST" and self.path.split("?")[0] == "/token" and response.status == 200:
                    payload = proxy._altered_token(payload)
                self.send_response(response.status)
                for name, value in response_headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _altered_token(self, payload: bytes) -> bytes:
        if self.delay_token:
            time.sleep(self.delay_token)
        if self.rewrite_token is None:
            return payload
        return json.dumps(self.rewrite_token(json.loads(payload))).encode()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- the browser's part of the flow, with httpx ------------------------------------------------


def drive_to_callback(client: httpx.Client, url: str, username: str, app_url: str) -> str:
    """Follow `url` through the provider (logging in as `username` when asked) to the app's
    callback URL, which is returned without being requested."""
    for _ in range(15):
        response = client.get(url)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["location"])
            if url.startswith(app_url):
                return url
            continue
        if response.status_code == 200 and 'name="login"' in response.text:
            action = response.text.split('action="')[1].split('"')[0]
            submitted = client.post(
                urljoin(url, action), data={"prompt": "login", "login": username, "password": "x"}
            )
            assert submitted.status_code in (302, 303), submitted.text[:300]
            url = urljoin(url, submitted.headers["location"])
            continue
        raise AssertionError(f"unexpected answer: {response.status_code} {response.text[:300]}")
    raise AssertionError("too many redirects")


def start_sign_in(client: httpx.Client, app_url: str, next_url: str = "/") -> str:
    """Ask the app to start a sign-in; returns the provider's authorization URL."""
    response = client.get(f"{app_url}/auth/oidc/login", params={"next": next_url})
    assert response.status_code == 303, response.text[:300]
    return response.headers["location"]


def sign_in(client: httpx.Client, app_url: str, username: str, next_url: str = "/") -> httpx.Response:
    """A whole sign-in; returns the app's answer to the callback."""
    callback = drive_to_callback(client, start_sign_in(client, app_url, next_url), username, app_url)
    return client.get(callback)


def query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(url).query))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = query_of(url) | changes
    return parts._replace(query=urlencode(query)).geturl()


def token_for_other_client(client: httpx.Client, issuer: str, nonce: str, username: str) -> str:
    """An ID token the provider issues to the *other* client, with the given nonce."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    params = {
        "client_id": OTHER_CLIENT_ID,
        "response_type": "code",
        "scope": "openid profile",
        "redirect_uri": OTHER_REDIRECT_URI,
        "state": secrets.token_urlsafe(16),
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    callback = drive_to_callback(client, f"{issuer}/auth?{urlencode(params)}", username, OTHER_REDIRECT_URI)
    response = httpx.post(
        f"{issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(callback)["code"],
            "redirect_uri": OTHER_REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    return response.json()["id_token"]


def resigned(id_token: str, key: RSAKey) -> str:
    """The same claims and header, signed with another key."""
    header_part, payload_part, _ = id_token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
    claims = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    return jwt.encode({"alg": header["alg"], "kid": header.get("kid", KEY_ID)}, claims, key)


# --- a provider, its proxy and an SSO-configured app (test modules wrap these in fixtures) ---

UNKNOWN_UNIT = "00000000-0000-0000-0000-000000000000"


@dataclass
class Sso:
    app: LiveServer
    provider: OpenIdProvider
    proxy: ProviderProxy
    engine: Engine
    database_url: str
    env: dict[str, str]
    units: dict[str, str]

    def session(self):
        from backend.db import new_session

        return new_session(self.engine)

    def user(self, username: str) -> User | None:
        with self.session() as db:
            return db.exec(select(User).where(User.username == username)).first()

    def roles(self, user_id: str) -> set[tuple[str, str | None, str]]:
        with self.session() as db:
            rows = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)).all()
            return {(row.role, row.unit_id, row.source) for row in rows}

    def audit(self, action: str) -> list[AuditEvent]:
        with self.session() as db:
            query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            return list(db.exec(query))


def _role_map(units: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {
        "sundhedsplejen-nord": [{"role": "health_visitor", "unit_id": units["hv"]}],
        "dagpleje-ledere": [{"role": "leader", "unit_id": units["cm"]}],
        "opspor-admin": [{"role": "admin", "unit_id": units["hv"]}],
        "ukendt-enhed": [{"role": "pedagogue", "unit_id": UNKNOWN_UNIT}],
    }


@contextmanager
def running_sso(folder: Path, sqlite_template: Path, citizen: bool = False) -> Iterator[Sso]:
    """The demo municipality in a SQLite file, the provider, its proxy and the app, started.
    With `citizen`, the app also has the parents' citizen sign-in (MitID) at the same provider,
    registered as a client of its own that asks for the CPR number (`ssn` scope, `dk.cpr`)."""
    from backend.db import make_engine, new_session
    from backend.people.demo import load_demo_data

    path = folder / "sso.db"
    shutil.copy(sqlite_template, path)
    database_url = f"sqlite:///{path}"
    engine = make_engine(database_url)
    with new_session(engine) as db:
        load_demo_data(db)
        db.commit()
        names = {"hv": "Sundhedsplejen Nord", "cm": "Dagplejen Syd", "inst": "Børnehuset Solsikken"}
        units = {key: db.exec(select(Unit).where(Unit.name == name)).one().id for key, name in names.items()}

    proxy = ProviderProxy(free_port(), target_port=free_port())
    env = {
        "OPSPOR_SECRET_KEY": "sso-" + uuid.uuid4().hex,
        "OPSPOR_OIDC_ISSUER": proxy.url,
        "OPSPOR_OIDC_CLIENT_ID": CLIENT_ID,
        "OPSPOR_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OPSPOR_OIDC_ROLE_MAP": json.dumps(_role_map(units)),
        "OPSPOR_RUN_SCHEDULER": "0",
    }
    if citizen:
        env |= {
            "OPSPOR_CITIZEN_OIDC_ISSUER": proxy.url,
            "OPSPOR_CITIZEN_OIDC_CLIENT_ID": CITIZEN_CLIENT_ID,
            "OPSPOR_CITIZEN_OIDC_CLIENT_SECRET": CITIZEN_CLIENT_SECRET,
            "OPSPOR_CITIZEN_OIDC_SCOPES": "openid ssn",
            "OPSPOR_CITIZEN_OIDC_CPR_CLAIM": "dk.cpr",
        }
    app = LiveServer(database_url, env=env)
    clients = [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{app.url}/auth/oidc/callback"],
            "post_logout_redirect_uris": [f"{app.url}/login"],
        },
        {
            "client_id": OTHER_CLIENT_ID,
            "client_secret": OTHER_CLIENT_SECRET,
            "redirect_uris": [OTHER_REDIRECT_URI],
        },
        {
            "client_id": CITIZEN_CLIENT_ID,
            "client_secret": CITIZEN_CLIENT_SECRET,
            "redirect_uris": [f"{app.url}/auth/citizen/callback"],
        },
    ]
    provider = OpenIdProvider(proxy.url, proxy.target_port, clients, signing_key(), folder / "accounts.json")
    provider.start()
    proxy.start()
    app.start()
    try:
        yield Sso(app, provider, proxy, engine, database_url, env, units)
    finally:
        app.stop()
        proxy.stop()
        provider.stop()
        engine.dispose()


def fresh(sso: Sso) -> Sso:
    """The provider and app with a clean proxy, the standard accounts and no throttle counters."""
    sso.proxy.reset()
    sso.provider.set_accounts(
        {
            "sofie": {"name": "Sofie Sundhedsplejerske", "groups": ["sundhedsplejen-nord", "ukendt-enhed"]},
            "lars": {"name": "Lars Leder", "groups": ["sundhedsplejen-nord", "dagpleje-ledere"]},
            "uden-rolle": {"name": "Uden Rolle", "groups": ["kantinen"]},
            "kort-levetid": {"name": "Kort Levetid", "groups": ["sundhedsplejen-nord"]},
            "admin-ida": {"name": "Ida Admin", "groups": ["opspor-admin"]},
            "demo-admin": {"name": "Efterligner", "groups": ["dagpleje-ledere"]},
        }
    )
    with sso.engine.begin() as connection:
        connection.execute(text("DELETE FROM login_attempt"))
    return sso
