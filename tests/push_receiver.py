"""A stand-in push service on 127.0.0.1 for the push tests.

Each subscription it hands out has its own P-256 key pair and auth secret, like a browser's.
It records every POST as it arrived; `decrypt` undoes the RFC 8291 aes128gcm encryption with
http_ece and `verify_vapid` checks the VAPID JWT (ES256 signature with the `k` key, `aud`,
`exp`, `sub`) with PyJWT. Answers can be scripted per subscription (e.g. 503 then 201), and a
delay or a hook makes it a slow receiver.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Browser:
    """What a browser keeps for one subscription: its private key and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class PushReceiver:
    delay: float = 0.0
    on_request: Callable[[Received], None] | None = None
    received: list[Received] = field(default_factory=list)
    browsers: dict[str, Browser] = field(default_factory=dict)
    answers: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                name = self.path.rsplit("/", 1)[-1]
                item = Received(name, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                if receiver.on_request:
                    receiver.on_request(item)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.received.append(item)
                    answer = receiver.answers[name].popleft() if receiver.answers[name] else (201, {})
                status, headers = answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscription(self, name: str) -> dict:
        """A browser's PushSubscription JSON for a new subscription called `name`."""
        browser = Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.browsers[name] = browser
        return {
            "endpoint": f"{self.origin}/push/{name}",
            "expirationTime": None,
            "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth_secret)},
        }

    def answer(self, name: str, *answers: int | tuple[int, dict]) -> None:
        """Script the next answers for a subscription (status, or (status, headers))."""
        for answer in answers:
            self.answers[name].append(answer if isinstance(answer, tuple) else (answer, {}))

    def of(self, name: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.name == name]

    def decrypt(self, item: Received) -> dict:
        browser = self.browsers[item.name]
        plaintext = http_ece.decrypt(
            item.body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
        )
        return json.loads(plaintext.decode("utf-8"))

    def verify_vapid(self, item: Received) -> dict:
        """The JWT's claims after checking the signature with the `k` key and the audience
        (`exp` is returned for the test to compare with the moment it sent at)."""
        scheme, _, params = item.headers["authorization"].partition(" ")
        assert scheme == "vapid"
        parts = dict(part.split("=", 1) for part in params.split(","))
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
        return jwt.decode(
            parts["t"],
            key=public_key,
            algorithms=["ES256"],
            audience=self.origin,
            options={"require": ["exp", "aud", "sub"], "verify_exp": False},
        )
