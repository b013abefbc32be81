// The keys that encrypt what Opspor keeps on the phone, shared by the page and the service worker
// (a "dual" script like net.js: defines OpsporCrypto on the global object).
//
// Per user and device a random 32-byte `master` is made at enrolment (vault.js) and stored only
// wrapped (by a PIN or a passkey). From it, by HKDF-SHA256: `aes` (AES-GCM-256) encrypts every
// value kept for the user, `hmac` (HMAC-SHA256) names the records (an IndexedDB key or a kept
// page's URL is never a record id or a path in clear). Both are non-extractable and live in
// memory only, here (`hold`), while the user's data is unlocked.
"use strict";

globalThis.OpsporCrypto = (() => {
  // Looked up when used: the module also loads where there is no Web Crypto (tests/test_pwa_modules.py).
  const subtle = new Proxy({}, { get: (_target, name) => crypto.subtle[name].bind(crypto.subtle) });
  const utf8 = { encode: (text) => new TextEncoder().encode(text) };
  const fromUtf8 = { decode: (bytes) => new TextDecoder().decode(bytes) };

  const b64url = (bytes) => {
    let text = "";
    for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const unb64url = (text) => {
    const plain = atob(String(text).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(plain, (char) => char.charCodeAt(0));
  };
  const random = (length) => crypto.getRandomValues(new Uint8Array(length));

  const hkdf = async (ikm, info, usage) => {
    const base = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveKey"]);
    const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode(info) };
    return usage === "hmac"
      ? subtle.deriveKey(params, base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"])
      : subtle.deriveKey(params, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  };

  // master (32 bytes) → {aes, hmac}
  const deriveKeys = async (master) => ({
    aes: await hkdf(master, "opspor data v1", "aes"), hmac: await hkdf(master, "opspor names v1", "hmac"),
  });

  // A key-encryption key from a PRF secret (passkey) or from a PIN (PBKDF2-SHA256).
  const kekFromSecret = (secret) => hkdf(secret, "opspor kek v1", "aes");
  const kekFromPin = async (pin, salt, iterations) => {
    const base = await subtle.importKey("raw", utf8.encode(pin), "PBKDF2", false, ["deriveKey"]);
    return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base,
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  };

  // Bytes ↔ {iv, ct} (base64url), AES-GCM with a fresh 12-byte IV each time.
  async function boxBytes(aes, bytes) {
    const iv = random(12);
    return { iv: b64url(iv), ct: b64url(await subtle.encrypt({ name: "AES-GCM", iv }, aes, bytes)) };
  }
  const openBytes = async (aes, { iv, ct }) =>
    new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: unb64url(iv) }, aes, unb64url(ct)));
  const box = (aes, value) => boxBytes(aes, utf8.encode(JSON.stringify(value)));
  const open = async (aes, boxed) => JSON.parse(fromUtf8.decode(await openBytes(aes, boxed)));

  // A record's opaque name: base64url HMAC of the text (a record id, a path).
  const name = async (hmac, text) => b64url(await subtle.sign("HMAC", hmac, utf8.encode(String(text))));

  // --- The keys in memory -----------------------------------------------------------------
  // One user's keys at a time: unlocking another user drops the previous user's.
  let heldKeys = null;  // {userId, keys: {aes, hmac, device?}, usedAt}
  let waiting = null;   // a promise the page sets while it asks the service worker for the keys
  const hold = (userId, keys) => { heldKeys = { userId, keys, usedAt: Date.now() }; };
  const held = (userId) => {
    if (!heldKeys || heldKeys.userId !== userId) return null;
    heldKeys.usedAt = Date.now();
    return heldKeys.keys;
  };
  const heldUser = () => (heldKeys ? heldKeys.userId : null);
  const idleSince = () => (heldKeys ? heldKeys.usedAt : null);
  const drop = () => { heldKeys = null; };
  const whenReady = (promise) => { waiting = promise; };
  const ready = async (userId) => {
    if (waiting) await waiting.catch(() => null);
    return held(userId);
  };

  return { b64url, unb64url, random, deriveKeys, kekFromSecret, kekFromPin, box, open, boxBytes, openBytes,
    name, hold, held, heldUser, idleSince, drop, whenReady, ready };
})();
