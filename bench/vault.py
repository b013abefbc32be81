"""The offline figures with the phone's data encrypted (issue 20), in Debian's Chromium.

bench/offline.py's measurements 1 and 2 (an offline save → "Gemt på telefonen", p95 at 4× CPU
throttling; a kept child page opened offline, DOMContentLoaded at 4×) — now every value goes
through AES-GCM and every key through HMAC, and each save is also sealed to the server's key —
and the time to unlock: the PIN's key derivation (PBKDF2-SHA256, vault.js's iterations) in the
page at 4×, and "Lås op" to the kept page shown, with a PIN and with a passkey (PRF, the DevTools
protocol's virtual authenticator on http://localhost).

Run: `.venv/bin/python -m bench.vault`
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from backend.config import PROJECT_DIR
from bench.offline import (
    HEALTH_VISITOR,
    measure_kept_page_opening,
    measure_offline_saves,
    offline_phone,
    percentile,
    print_save_and_open,
    throttle,
)
from tests.browser.offline_support import PIN, download_for_offline, sign_in
from tests.support import PHONE

VAULT_JS = (PROJECT_DIR / "pwa" / "vault.js").read_text(encoding="utf-8")
ITERATIONS = int(re.search(r"PIN_ITERATIONS = (\d+)", VAULT_JS).group(1))

KDF = """async (iterations) => {
    const salt = OpsporCrypto.random(16);
    const start = performance.now();
    await OpsporCrypto.kekFromPin("246810", salt, iterations);
    return performance.now() - start;
}"""


def measure_kdf(page, count: int = 5) -> dict:
    throttle(page, 4)
    timings = [page.evaluate(KDF, ITERATIONS) for _ in range(count)]
    throttle(page, 1)
    return {"p50": percentile(timings, 0.5), "max": max(timings), "n": count}


def lock(page) -> None:
    page.evaluate("() => OpsporCrypto.drop()")
    page.evaluate("() => navigator.serviceWorker.controller.postMessage({ type: 'lock' })")


def measure_unlock(page, base_url: str, child_id: str, unlock, count: int = 5) -> dict:
    """Locked, offline: the kept page shows "Lås op"; the time from the tap to the page's heading."""
    timings = []
    for _ in range(count):
        lock(page)
        page.goto(f"{base_url}/children/{child_id}")
        expect(page.get_by_role("heading", name="Lås op")).to_be_visible()
        throttle(page, 4)
        start = time.perf_counter()
        unlock(page)
        expect(page.get_by_role("heading", name="Lås op")).to_have_count(0, timeout=30_000)
        page.wait_for_load_state("domcontentloaded")
        timings.append((time.perf_counter() - start) * 1000)
        throttle(page, 1)
    return {"p50": percentile(timings, 0.5), "max": max(timings), "n": count}


def with_pin(page) -> None:
    page.get_by_label("PIN", exact=True).fill(PIN)
    page.get_by_role("button", name="Lås op med PIN").click()


def with_passkey(page) -> None:
    page.get_by_role("button", name="Lås op med adgangsnøgle").click()


def virtual_authenticator(context, page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True}
    options |= {"hasUserVerification": True, "isUserVerified": True, "hasPrf": True}
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def main() -> None:
    with offline_phone() as phone:  # her phone protected with a PIN
        page, context, url, child_ids = phone.page, phone.context, phone.server.url, phone.child_ids
        kdf = measure_kdf(page)
        saves = measure_offline_saves(page, url, child_ids[0])
        context.set_offline(True)
        opening = measure_kept_page_opening(page, url, child_ids[1])
        pin = measure_unlock(page, url, child_ids[1], with_pin)
        context.close()

        base = url.replace("127.0.0.1", "localhost")
        context = phone.browser.new_context(**PHONE)
        page = context.new_page()
        virtual_authenticator(context, page)
        sign_in(page, base, HEALTH_VISITOR, protect=False)
        page.get_by_role("button", name="Beskyt med adgangsnøgle").click()
        expect(page.locator("[data-vault-status]")).to_contain_text("er beskyttet", timeout=30_000)
        download_for_offline(page, base)
        context.set_offline(True)
        passkey = measure_unlock(page, base, child_ids[1], with_passkey)
    print("Offline benchmarks with the phone's data encrypted (Chromium, phone viewport, 2-core machine)")
    print_save_and_open(saves, opening)
    print(
        f"  PIN key derivation (PBKDF2-SHA256, {ITERATIONS:,} iterations), 4×: p50 {kdf['p50']:.0f} ms, "
        f"max {kdf['max']:.0f} ms"
    )
    for name, each in (("PIN", pin), ("passkey", passkey)):
        print(
            f"  unlock with a {name}, tap → the kept page, 4×: p50 {each['p50']:.0f} ms, "
            f"max {each['max']:.0f} ms over {each['n']}"
        )


if __name__ == "__main__":
    main()
