// Sealing a value to a public key (issue 20): what the phone queues while locked goes to the
// server sealed to the server's key (GET /api/sync/key), and the server's answers that arrive while
// locked are sealed to the device's own key. A dual script like net.js (the worker's
// importScripts, the page's `import`; also Node 20): defines `OpsporSeal` on the global object.
//   seal({kid, jwk}, value) → {sealed: {v: 1, kid, epk, iv, ct}}   (jwk: an ECDH P-256 public JWK)
//   open(privateKey, sealed) → value   (privateKey: an ECDH P-256 CryptoKey or private JWK;
//                                       sealed: the envelope or its inner object)
// Ephemeral ECDH P-256; key = HKDF-SHA256(shared, salt = epk's 65 raw bytes, info "opspor sealed
// v1") → AES-256-GCM with the kid as additional data; the plaintext is the value's JSON.
// backend/sync/sealing.py does the same in Python.
"use strict";

globalThis.OpsporSeal = (() => {
  const subtle = () => globalThis.crypto.subtle;
  const utf8 = (text) => new TextEncoder().encode(text);
  const CURVE = { name: "ECDH", namedCurve: "P-256" };

  function b64url(bytes) {
    let binary = "";
    for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function unb64url(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  }

  async function aesKey(privateKey, publicKey, epk, usage) {
    const shared = await subtle().deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
    const ikm = await subtle().importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    return subtle().deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: epk, info: utf8("opspor sealed v1") },
      ikm, { name: "AES-GCM", length: 256 }, false, [usage]);
  }

  async function seal(recipient, value) {
    const kid = String(recipient.kid);
    const publicKey = await subtle().importKey("jwk", recipient.jwk, CURVE, false, []);
    const ephemeral = await subtle().generateKey(CURVE, false, ["deriveBits"]);
    const epk = new Uint8Array(await subtle().exportKey("raw", ephemeral.publicKey));
    const key = await aesKey(ephemeral.privateKey, publicKey, epk, "encrypt");
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const ct = await subtle().encrypt(
      { name: "AES-GCM", iv, additionalData: utf8(kid) }, key, utf8(JSON.stringify(value)));
    return { sealed: { v: 1, kid, epk: b64url(epk), iv: b64url(iv), ct: b64url(ct) } };
  }

  async function open(privateKey, sealed) {
    const inner = sealed && sealed.sealed ? sealed.sealed : sealed;
    if (!inner || inner.v !== 1 || typeof inner.kid !== "string") throw new Error("not a sealed value");
    const key = privateKey && privateKey.kty
      ? await subtle().importKey("jwk", privateKey, CURVE, false, ["deriveBits"]) : privateKey;
    const epk = unb64url(inner.epk);
    const publicKey = await subtle().importKey("raw", epk, CURVE, false, []);
    const aes = await aesKey(key, publicKey, epk, "decrypt");
    const plain = await subtle().decrypt(
      { name: "AES-GCM", iv: unb64url(inner.iv), additionalData: utf8(inner.kid) }, aes, unb64url(inner.ct));
    return JSON.parse(new TextDecoder().decode(plain));
  }

  return { seal, open, b64url, unb64url };
})();
