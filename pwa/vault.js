// The lock on what Opspor keeps on the phone (issue 20; README "Data on the phone"). Enrolment
// ("Beskyt dine data på telefonen" on "I dag"), unlocking ("Lås op" on /unlock, which the service
// worker also shows for kept pages while locked), the auto-lock, and the keys' hand-off to the
// service worker. The master key is wrapped by a PIN (PBKDF2) and/or a passkey (WebAuthn PRF).
import { Crypto, csrf, metaContent, Store, userId } from "./page.js";
import { _ } from "./texts.js";

export const PIN_ITERATIONS = 600000;  // ~0.7 s at 4× CPU throttling here (bench/offline.py)
export const MAX_PIN_FAILURES = 5;
const KEEPALIVE_MS = 20000;
const vaultKey = (who) => `vault-${who}`;
const lockMinutes = () => Number(metaContent("opspor-lock-minutes")) || 5;
const subtle = crypto.subtle;

export const vaultOf = (who) => (who ? Store.meta.read(vaultKey(who)).catch(() => null) : Promise.resolve(null));
export const isEnrolled = async (who = userId) => Boolean(await vaultOf(who));

// The active worker, also while it does not control this page yet (the first visit).
let registration = null;  // known once ready: a message on leaving the page cannot wait for it
if ("serviceWorker" in navigator) navigator.serviceWorker.ready.then((ready) => { registration = ready; });
// Resolves once handed over (a worker still installing gets it when it is active, up to 15 s).
function tellWorker(message) {
  if (!("serviceWorker" in navigator)) return Promise.resolve();
  const worker = navigator.serviceWorker.controller || (registration && registration.active);
  if (worker) return Promise.resolve(worker.postMessage(message));
  const later = navigator.serviceWorker.ready.then((ready) => ready.active && ready.active.postMessage(message));
  return Promise.race([later, new Promise((resolve) => setTimeout(resolve, 15000))]);
}

// The worker lost the keys (the browser stopped it): an unlocked page gives them back.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (!event.data || event.data.type !== "keys-please" || !event.ports[0]) return;
    event.ports[0].postMessage({ keys: Crypto.held(event.data.userId) });
  });
}

let keepalive = null;
function holdKeys(who, keys) {
  Crypto.hold(who, keys);
  const send = () => { const held = Crypto.held(who); return held && tellWorker({ type: "keys", userId: who, keys: held, minutes: lockMinutes() }); };
  const sent = send();
  clearInterval(keepalive);
  keepalive = setInterval(send, KEEPALIVE_MS);  // also keeps the worker (and so the keys) alive
  // The browser may have stopped the worker (and its memory) meanwhile: leaving the page hands
  // the keys over again, so the next page (its request starts the worker) finds them there.
  if (!holdKeys.leaving) {
    holdKeys.leaving = true;
    addEventListener("pagehide", () => send());
  }
  return sent;
}

const importDevice = (jwk) => subtle.importKey("jwk", jwk, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveKey", "deriveBits"]);

async function openVault(who, record, master) {
  const keys = await Crypto.deriveKeys(master);
  const device = await importDevice(await Crypto.open(keys.aes, record.device_key.wrapped_private));
  await holdKeys(who, { ...keys, device });
}

// --- Passkeys (PRF) ---------------------------------------------------------------------
async function passkeySecret(record) {
  const assertion = await navigator.credentials.get({ publicKey: { challenge: Crypto.random(32), rpId: location.hostname,
    allowCredentials: [{ type: "public-key", id: Crypto.unb64url(record.credential_id) }], userVerification: "required",
    extensions: { prf: { eval: { first: Crypto.unb64url(record.prf_salt) } } } } });
  const prf = assertion.getClientExtensionResults().prf;
  if (!prf || !prf.results || !prf.results.first) throw new Error("prf");
  return new Uint8Array(prf.results.first);
}

async function createPasskey(who, label) {
  const prfSalt = Crypto.random(32);
  const credential = await navigator.credentials.create({ publicKey: {
    challenge: Crypto.random(32), rp: { name: "Opspor", id: location.hostname },
    user: { id: new TextEncoder().encode(who), name: label, displayName: label },
    pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    extensions: { prf: { eval: { first: prfSalt } } } } });
  const prf = credential.getClientExtensionResults().prf;
  if (!prf || !prf.enabled) throw new Error("prf");
  const record = { credential_id: Crypto.b64url(credential.rawId), prf_salt: Crypto.b64url(prfSalt) };
  const secret = prf.results && prf.results.first ? new Uint8Array(prf.results.first) : await passkeySecret(record);
  return { record, secret };
}

// --- Enrolment ----------------------------------------------------------------------------
export async function fetchServerKey() {
  try {
    const kept = await Store.meta.read("sync_key");
    if (kept && Date.now() - Date.parse(kept.fetched_at || "") < 86400000) return;
    const response = await fetch("/api/sync/key", { credentials: "same-origin" });
    if (response.ok) await Store.meta.write("sync_key", { ...(await response.json()), fetched_at: new Date().toISOString() });
  } catch (error) { /* offline: the next online page asks */ }
}

// The methods a vault record can be unlocked with, as the server records them.
export const protectionMethods = (record) => ["passkey", "pin"].filter((method) => record && record[method]);

export async function enrol({ pin = null, passkey = false, label = "Opspor" }) {
  const master = Crypto.random(32);
  const keys = await Crypto.deriveKeys(master);
  const record = { failures: 0 };
  if (passkey) {
    const { record: passkeyRecord, secret } = await createPasskey(userId, label);
    record.passkey = { ...passkeyRecord, ...(await Crypto.boxBytes(await Crypto.kekFromSecret(secret), master)) };
  }
  if (pin) {
    const salt = Crypto.random(16);
    const kek = await Crypto.kekFromPin(pin, salt, PIN_ITERATIONS);
    record.pin = { salt: Crypto.b64url(salt), iterations: PIN_ITERATIONS, ...(await Crypto.boxBytes(kek, master)) };
  }
  const pair = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveKey", "deriveBits"]);
  const privateJwk = await subtle.exportKey("jwk", pair.privateKey);
  record.device_key = { public_jwk: await subtle.exportKey("jwk", pair.publicKey), wrapped_private: await Crypto.box(keys.aes, privateJwk) };
  await Store.meta.write(vaultKey(userId), record);
  await holdKeys(userId, { ...keys, device: await importDevice(privateJwk) });
  await fetchServerKey();
  // The server records that this device holds encrypted data (for device revocation), and every
  // method that now unlocks it (the set replaces what the device said before).
  await fetch("/api/devices/current/protection", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
    body: JSON.stringify({ methods: protectionMethods(record) }) }).catch(() => null);
}

// --- Unlocking ------------------------------------------------------------------------------
// {ok} | {left: tries left} | {wiped: writes still waiting to be sent}
export async function unlockWithPin(who, pin) {
  const record = await vaultOf(who);
  if (!record || !record.pin) return { left: 0 };
  const kek = await Crypto.kekFromPin(pin, Crypto.unb64url(record.pin.salt), record.pin.iterations);
  let master;
  try {
    master = await Crypto.openBytes(kek, record.pin);
  } catch (error) {
    const failures = (record.failures || 0) + 1;
    if (failures >= MAX_PIN_FAILURES) return { wiped: await Store.wipeDeviceData(who) };
    await Store.meta.write(vaultKey(who), { ...record, failures });
    return { left: MAX_PIN_FAILURES - failures };
  }
  if (record.failures) await Store.meta.write(vaultKey(who), { ...record, failures: 0 });
  await openVault(who, record, master);
  return { ok: true };
}

export async function unlockWithPasskey(who) {
  const record = await vaultOf(who);
  const secret = await passkeySecret(record.passkey);
  const master = await Crypto.openBytes(await Crypto.kekFromSecret(secret), record.passkey);
  await Store.meta.write(vaultKey(who), { ...record, failures: 0 });
  await openVault(who, record, master);
  return { ok: true };
}

// --- Locking --------------------------------------------------------------------------------
export function lockNow() {
  Crypto.drop();
  clearInterval(keepalive);
  tellWorker({ type: "lock" });
  const here = location.pathname + location.search;
  location.replace(location.pathname === "/unlock" ? here : `/unlock?next=${encodeURIComponent(here)}`);
}

// On every signed-in page whose user is unlocked: the keys go to the service worker again (it
// may have been stopped) and the app locks after the idle minutes, or when it comes back after
// being hidden longer than that.
export async function watchLock() {
  if (!userId || !(await Crypto.ready(userId))) return;
  holdKeys(userId, Crypto.held(userId));
  const limit = () => lockMinutes() * 60000;
  let timer = null;
  const arm = () => { clearTimeout(timer); timer = setTimeout(lockNow, limit()); };
  document.addEventListener("visibilitychange", () => { if (document.hidden && Crypto.held(userId)) holdKeys(userId, Crypto.held(userId)); });
  for (const type of ["pointerdown", "keydown", "input", "scroll", "touchstart"]) {
    addEventListener(type, arm, { passive: true, capture: true });
  }
  let hiddenAt = null;
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { hiddenAt = Date.now(); return; }
    if (hiddenAt && Date.now() - hiddenAt > limit()) lockNow(); else arm();
  });
  arm();
}

// Signing in (the login page): whoever used the phone before is locked out of memory at once.
export const forgetKeys = () => { Crypto.drop(); tellWorker({ type: "lock" }); };

export const texts = {
  wrong: (left) => _("Forkert PIN. {left} forsøg tilbage, før data på telefonen slettes.", { left }),
  wiped: (waiting) => _("For mange forkerte forsøg: dine data på telefonen er slettet. {waiting} registreringer venter stadig på at blive sendt (de kan ikke læses på telefonen). Intet andet er tilbage.", { waiting }),
};
