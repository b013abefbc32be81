// How a user's records look in the phone's IndexedDB (design: issue 20), shared by the page and
// the service worker (a dual script, after crypto.js; OpsporSeal from seal.js when loaded).
//   keys      OpsporCrypto.name(hmac, record id) — never a record id in clear; facts keep their
//             names ("last_sync_at": no child in them)
//   outbox    {state, attempts, first_saved_at, saved_at, last_try_at, kept_at, status,
//             sealed: the wire envelopes sealed to the server (sendable while locked),
//             box: the full item (AES-GCM), answer: the server's result sealed to this device}
//   drafts    {box}; versions: the number; facts: clear, except BOXED ones (they name children)
// Locked (no keys in memory), an outbox entry reads as {locked, record_id: "~<opaque key>", raw,
// sealed, …clear fields}: the sender can send it and settle it by its opaque key, nothing more.
"use strict";

globalThis.OpsporCodec = (() => {
  const C = globalThis.OpsporCrypto;
  const CLEAR = ["state", "attempts", "first_saved_at", "saved_at", "last_try_at", "kept_at", "status"];
  const BOXED_FACTS = new Set(["etags"]);
  const OPAQUE = "~";  // a key already named (an entry read while locked)

  class Locked extends Error {
    constructor() { super("locked"); this.name = "Locked"; }
  }
  const isLocked = (error) => Boolean(error && error.name === "Locked");

  const pick = (value, names) => Object.fromEntries(names.filter((n) => value[n] !== undefined).map((n) => [n, value[n]]));

  async function keyOf(keys, store, key) {
    if (store === "facts") return key;
    if (typeof key === "string" && key.startsWith(OPAQUE)) return key.slice(1);
    if (!keys) throw new Locked();
    return C.name(keys.hmac, key);
  }

  // What goes on the wire for an item: a write whose answer was lost and that was saved again
  // goes first, the newer one on top of it (net.js).
  const wireOf = (item) => (item.unconfirmed
    ? [item.unconfirmed, { ...item.envelope, base_version: (item.unconfirmed.base_version || 0) + 1 }]
    : [item.envelope]);

  const sealer = () => globalThis.OpsporSeal || null;
  const sealTo = async (recipient, value) => (recipient && sealer() ? sealer().seal(recipient, value) : null);

  async function encode(ctx, store, key, value) {
    if (store === "versions") return value;
    if (store === "facts") {
      if (!BOXED_FACTS.has(key)) return value;
      if (!ctx.keys) throw new Locked();
      return { box: await C.box(ctx.keys.aes, value) };
    }
    if (store === "outbox" && value.locked) {
      const raw = { ...value.raw, ...pick(value, CLEAR) };
      if (value.error !== undefined || value.kept_for !== undefined) {
        const device = ctx.device && { kid: "device", jwk: ctx.device.public_jwk };
        raw.answer = await sealTo(device, { error: value.error ?? null, kept_for: value.kept_for ?? null });
      }
      return raw;
    }
    if (!ctx.keys) throw new Locked();
    const item = { ...value };
    delete item.sealed_wire;
    const boxed = await C.box(ctx.keys.aes, item);
    if (store !== "outbox") return { box: boxed };
    const sealed = item.state === "pending" && item.envelope && ctx.serverKey && sealer()
      ? await Promise.all(wireOf(item).map((envelope) => sealTo(ctx.serverKey, envelope))) : null;
    return { ...pick(item, CLEAR), sealed, box: boxed };
  }

  async function decode(ctx, store, opaque, raw) {
    if (raw === undefined || raw === null || store === "versions") return raw;
    if (store === "facts") {
      if (!BOXED_FACTS.has(opaque)) return raw;
      return ctx.keys && raw.box ? C.open(ctx.keys.aes, raw.box).catch(() => undefined) : undefined;
    }
    let item = null;
    if (ctx.keys && raw.box) item = await C.open(ctx.keys.aes, raw.box).catch(() => null);
    if (store !== "outbox") return item;
    if (!item) return { locked: true, record_id: OPAQUE + opaque, raw, sealed: raw.sealed || null, ...pick(raw, CLEAR) };
    item = { ...item, ...pick(raw, CLEAR), sealed_wire: raw.sealed || null };
    if (raw.answer && ctx.keys.device && sealer()) {
      const answer = await sealer().open(ctx.keys.device, raw.answer).catch(() => null);
      if (answer) item = { ...item, error: answer.error, kept_for: answer.kept_for || undefined };
    }
    return item;
  }

  // The envelopes to send for an item: while locked the sealed ones (all the phone has), else
  // the item's own (over TLS, as before).
  const wire = (item) => (item.locked ? item.sealed || [] : wireOf(item));

  // The offline reads ("facts" offline_reads): each boxed, and sealed to the server (sent so
  // while locked).
  async function sealRead(ctx, read) {
    if (!ctx.keys) throw new Locked();
    const sealed = ctx.serverKey && sealer() ? await sealTo(ctx.serverKey, read) : {};
    return { ...sealed, box: await C.box(ctx.keys.aes, read) };
  }
  async function sendableReads(ctx, entries) {
    const out = [];
    for (const entry of entries) {
      const read = entry && entry.box && ctx.keys ? await C.open(ctx.keys.aes, entry.box).catch(() => null) : null;
      if (read) out.push({ entry, wire: read });
      else if (entry && entry.sealed) out.push({ entry, wire: { sealed: entry.sealed } });
      else if (entry && entry.child_id) out.push({ entry, wire: entry });  // an older release's
    }
    return out;
  }

  return { Locked, isLocked, keyOf, encode, decode, wire, wireOf, sealRead, sendableReads, OPAQUE };
})();
