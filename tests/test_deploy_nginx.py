"""Issue 21: deploy/nginx-opspor.conf in front of two `opspor serve` instances on one database.

Debian's nginx runs unprivileged-style in its own prefix with a self-signed certificate; the
site configuration is deploy/'s own file with the ports and certificate paths replaced.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from tests.ops_support import Server, load_demo, sample, wait_for
from tests.support import PROJECT_DIR, children_of_unit, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = PROJECT_DIR / "deploy" / "nginx-opspor.conf"
PG_URL = os.environ.get("OPSPOR_TEST_DATABASE_URL", "")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _nginx_conf(
    prefix: Path, https_port: int, http_port: int, app_ports: list[int], cert: Path, key: Path
) -> Path:
    site = SITE.read_text()
    upstreams = "".join(f"    server 127.0.0.1:{port};\n" for port in app_ports)
    site, count = re.subn(r"(upstream opspor \{\n)(?:    server [^\n]+\n)+", r"\g<1>" + upstreams, site)
    assert count == 1
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "/etc/ssl/opspor/fullchain.pem": str(cert),
        "/etc/ssl/opspor/privkey.pem": str(key),
        "/var/log/nginx/opspor.access.log": str(prefix / "access.log"),
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    (prefix / "site.conf").write_text(site)
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n  include {prefix / 'site.conf'};\n}}\n"
    )
    (prefix / "nginx.conf").write_text(main)
    return prefix / "nginx.conf"


def _served_by(servers: list[Server], method: str, route: str) -> list[float]:
    return [
        sample(server.metrics(), "opspor_http_requests_total", method=method, route=route)
        for server in servers
    ]


def _served_after(servers: list[Server], method: str, route: str, before: list[float]) -> list[float]:
    """The counts once the request just answered is counted (a server counts a request when its
    response has gone out, so the count may follow the answer by a moment)."""

    def counted() -> list[float] | None:
        after = _served_by(servers, method, route)
        return after if sum(after) > sum(before) else None

    return wait_for(counted, timeout=30)


def test_two_instances_behind_nginx(db_url, db, tmp_path) -> None:
    if not Path(NGINX).exists():
        pytest.skip("Debian's nginx is not installed (`make test` installs it: apt-get install nginx-light)")
    if PG_URL and not db_url.startswith("postgresql"):
        pytest.skip("the proxy test runs on PostgreSQL when the tests have it")
    load_demo(db_url, with_records=False)
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    db.rollback()
    https_port, http_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}"
    env = {
        "OPSPOR_BASE_URL": public,
        "OPSPOR_SECRET_KEY": "shared-" + uuid.uuid4().hex,
        "OPSPOR_TRUSTED_PROXIES": "127.0.0.1",
    }
    servers = [Server(db_url, env=env, log_dir=tmp_path) for _ in range(2)]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    cert, key = _self_signed(prefix)
    conf = _nginx_conf(prefix, https_port, http_port, [s.port for s in servers], cert, key)
    nginx = None
    try:
        for server in servers:
            server.start()
        nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf)], start_new_session=True)
        wait_for(lambda: _answers(public, cert), timeout=30)

        with httpx.Client(
            base_url=public, verify=ssl.create_default_context(cafile=str(cert)), timeout=60
        ) as client:
            # Plain HTTP is sent to HTTPS.
            redirect = httpx.get(f"http://127.0.0.1:{http_port}/login", timeout=30)
            assert redirect.status_code == 301 and redirect.headers["location"].startswith("https://")

            page = client.get("/login")
            assert page.status_code == 200
            assert page.headers["strict-transport-security"].startswith("max-age=")
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert page.headers["x-content-type-options"] == "nosniff"
            assert "server" not in page.headers or "nginx/" not in page.headers["server"]
            assert client.get("/metrics").status_code == 404  # not passed on by the proxy

            signed_in = client.post(
                "/api/session",
                json={"username": "demo-sundhedsplejerske", "password": "demo"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            assert signed_in.status_code == 200
            cookies = signed_in.headers.get_list("set-cookie")
            assert cookies and all("secure" in c.lower() and "httponly" in c.lower() for c in cookies)
            client.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]

            # Save through one instance, read through the other (round robin).
            record_id = str(uuid.uuid4())
            body = {
                "type": "concern_note",
                "child_id": child.id,
                "base_version": None,
                "status": "final",
                "data": {"observed_on": today().isoformat(), "text": "Gemt bag nginx"},
            }
            put_route, get_route = "/api/records/{record_id}", "/api/records/{record_id}"
            before = _served_by(servers, "PUT", put_route)
            assert client.put(f"/api/records/{record_id}", json=body).status_code == 201
            after = _served_after(servers, "PUT", put_route, before)
            writer = [a - b for a, b in zip(after, before, strict=True)].index(1)
            reader = 1 - writer
            for _ in range(6):
                read_before = _served_by(servers, "GET", get_route)
                response = client.get(f"/api/records/{record_id}")
                assert response.status_code == 200
                assert response.json()["data"]["text"] == "Gemt bag nginx"
                if _served_after(servers, "GET", get_route, read_before)[reader] > read_before[reader]:
                    break
            else:
                pytest.fail("no read reached the other instance")

            # The session's CSRF token is good on both instances: write through each of them.
            version = 1
            for _ in range(6):
                before = _served_by(servers, "PUT", put_route)
                update = {
                    **body,
                    "base_version": version,
                    "data": {**body["data"], "text": f"Rettet {version}"},
                }
                response = client.put(f"/api/records/{record_id}", json=update)
                assert response.status_code == 200, response.text
                version = response.json()["version"]
                if _served_after(servers, "PUT", put_route, before)[reader] > before[reader]:
                    break
            else:
                pytest.fail("no write reached the other instance")
            assert all(count >= 1 for count in _served_by(servers, "PUT", put_route))

        # The audit trail has the client's address as nginx saw it, not the header it sent.
        signin = db.exec(select(AuditEvent).where(AuditEvent.action == "signin.success")).all()
        assert [event.ip for event in signin] == ["127.0.0.1"]

        # Straight to an instance from an address that is not the proxy: X-Forwarded-* ignored.
        spoof = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=servers[0].url, transport=transport, timeout=60) as direct:
            page = direct.get("/login", headers=spoof)
            assert "strict-transport-security" not in page.headers
            assert (
                direct.post(
                    "/api/session", json={"username": "demo-paedagog", "password": "demo"}, headers=spoof
                ).status_code
                == 200
            )
            assert direct.get("/metrics").status_code == 403  # not loopback's 127.0.0.1 proxy
        db.rollback()
        ips = [e.ip for e in db.exec(select(AuditEvent).where(AuditEvent.action == "signin.success")).all()]
        assert sorted(ips) == ["127.0.0.1", "127.0.0.2"]
    finally:
        if nginx is not None and nginx.poll() is None:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(timeout=20)
        for server in servers:
            server.stop()


def _answers(url: str, cert: Path) -> bool:
    try:
        return (
            httpx.get(
                url + "/healthz", verify=ssl.create_default_context(cafile=str(cert)), timeout=2
            ).status_code
            == 200
        )
    except httpx.HTTPError:
        time.sleep(0.1)
        return False
