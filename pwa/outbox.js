// Opspor's storage on the phone, shared by the page and the service worker. Everything belongs
// to one signed-in user: a database "opspor-u-<user id>" with the outbox (writes not yet confirmed,
// one per record), drafts, the versions the server confirmed and a few facts; "opspor-meta" says
// who is signed in and holds that session's CSRF token; pages are cached per user. A dual script
// like net.js (loaded first): the worker uses importScripts(), the page `import` (pwa/shared.js).
"use strict";

globalThis.OpsporStore = (() => {
  const META_DB = "opspor-meta";
  const USER_STORES = ["outbox", "drafts", "versions", "facts"];
  const userDb = (userId) => `opspor-u-${userId}`;
  const pageCache = (userId) => `opspor-pages-${userId}`;

  const request = (req) => new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

  const open = (name, stores) => new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      for (const store of stores) {
        if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("database blocked"));
  });

  // One transaction; the connection is closed afterwards (so a database can be deleted).
  async function run(name, stores, store, mode, work) {
    const db = await open(name, stores);
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(store, mode);
        let result;
        Promise.resolve(work(Array.isArray(store) ? tx : tx.objectStore(store))).then(
          (value) => { result = value; },
          (error) => { reject(error); tx.abort(); },
        );
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("aborted"));
      });
    } finally {
      db.close();
    }
  }

  // The user's stores through the codec (codec.js): keys named, values encrypted with the keys in
  // memory. Locked, reads give what is readable (the outbox's sealed entries) and writes that
  // need a key throw OpsporCodec.Locked.
  const Codec = globalThis.OpsporCodec;
  const metaCache = new Map();
  async function metaValue(key) {
    const hit = metaCache.get(key);
    if (hit && Date.now() - hit.at < 30000) return hit.value;
    const value = await run(META_DB, ["current"], "current", "readonly", (s) => request(s.get(key))).catch(() => undefined);
    metaCache.set(key, { value, at: Date.now() });
    return value;
  }
  const context = async (userId) => ({ keys: await OpsporCrypto.ready(userId), serverKey: await metaValue("sync_key"),
    device: ((await metaValue(`vault-${userId}`)) || {}).device_key || null });

  const user = (userId) => {
    const db = (store, mode, work) => run(userDb(userId), USER_STORES, store, mode, work);
    return {
      get: async (store, key) => {
        const ctx = await context(userId);
        let opaque;
        try { opaque = await Codec.keyOf(ctx.keys, store, key); } catch (error) { if (Codec.isLocked(error)) return undefined; throw error; }
        return Codec.decode(ctx, store, opaque, await db(store, "readonly", (s) => request(s.get(opaque))));
      },
      // Locked (or never protected), a version is not kept and nothing named can be deleted
      // (nothing was kept under a name); other writes throw OpsporCodec.Locked.
      put: async (store, key, value) => {
        const ctx = await context(userId);
        if (!ctx.keys && store === "versions" && !String(key).startsWith(Codec.OPAQUE)) return undefined;
        const [opaque, raw] = await Promise.all([Codec.keyOf(ctx.keys, store, key), Codec.encode(ctx, store, key, value)]);
        return db(store, "readwrite", (s) => request(s.put(raw, opaque)));
      },
      delete: async (store, key) => {
        const ctx = await context(userId);
        if (!ctx.keys && store !== "facts" && !String(key).startsWith(Codec.OPAQUE)) return undefined;
        const opaque = await Codec.keyOf(ctx.keys, store, key);
        return db(store, "readwrite", (s) => request(s.delete(opaque)));
      },
      all: async (store) => {
        const ctx = await context(userId);
        const entries = await db(store, "readonly", async (s) => {
          const [keys, values] = await Promise.all([request(s.getAllKeys()), request(s.getAll())]);
          return keys.map((key, i) => ({ key, value: values[i] }));
        });
        const decoded = await Promise.all(entries.map(async ({ key, value }) => ({ key, value: await Codec.decode(ctx, store, key, value) })));
        return decoded.filter((entry) => entry.value !== null && entry.value !== undefined);
      },
      clear: (store) => db(store, "readwrite", (s) => request(s.clear())),
      // Writes in one transaction ([op, store, key, value]); `sent` (record id → item as sent): a record
      // saved again while on the wire keeps its newer item — an answer never deletes an unsent write —
      // and a "rebase" op gives that newer item the version the server just answered as its base.
      batch: (ops, sent) => runBatch(userId, ops, sent),
    };
  };

  // Encrypting is asynchronous and an IndexedDB transaction does not outlive it: the entries a
  // batch depends on are read first, the writes encrypted, and the transaction that writes them
  // checks those entries did not change meanwhile (else it starts over).
  async function runBatch(userId, ops, sent = new Map()) {
    if (!ops.length) return;
    const ctx = await context(userId);
    const names = new Map();
    for (const key of [...sent.keys(), ...ops.filter(([, store]) => store !== "facts").map(([, , key]) => key)]) {
      if (!names.has(key)) names.set(key, await Codec.keyOf(ctx.keys, "outbox", key));
    }
    const opaque = (store, key) => (store === "facts" ? key : names.get(key));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const seen = await run(userDb(userId), USER_STORES, "outbox", "readonly",
        (s) => Promise.all([...sent.keys()].map((key) => request(s.get(names.get(key))))));
      const replaced = new Map();
      for (const [i, [key, item]] of [...sent.entries()].entries()) {
        if (seen[i] && seen[i].saved_at !== item.saved_at) replaced.set(key, await Codec.decode(ctx, "outbox", names.get(key), seen[i]));
      }
      const writes = [];
      for (const [op, store, key, value] of ops) {
        const newer = replaced.get(key);
        if (op === "rebase" || op === "unconfirmed") {  // the newer item: its base, or the write sent before it
          if (newer && !newer.locked) writes.push([store, key, op === "rebase" ? rebased(newer, value) : { ...newer, unconfirmed: newer.unconfirmed || value }]);
        } else if (!(newer && (store === "outbox" || store === "drafts"))) {
          writes.push([store, key, op === "put" ? value : undefined]);
        }
      }
      const encoded = await Promise.all(writes.map(async ([store, key, value]) =>
        [store, opaque(store, key), value === undefined ? undefined : await Codec.encode(ctx, store, key, value)]));
      const done = await run(userDb(userId), USER_STORES, USER_STORES, "readwrite", async (tx) => {
        const now = await Promise.all([...sent.keys()].map((key) => request(tx.objectStore("outbox").get(names.get(key)))));
        if (now.some((raw, i) => (raw && raw.saved_at) !== (seen[i] && seen[i].saved_at))) return false;
        for (const [store, key, raw] of encoded) {
          if (raw === undefined) tx.objectStore(store).delete(key); else tx.objectStore(store).put(raw, key);
        }
        return true;
      });
      if (done) return;
    }
  }

  const meta = {
    get: () => run(META_DB, ["current"], "current", "readonly", (s) => request(s.get("current"))),
    set: (value) => run(META_DB, ["current"], "current", "readwrite", (s) => request(s.put(value, "current"))),
    // Other records: "sync_key" (the server's sealing key), "vault-<user id>" (the wrapped keys).
    read: (key) => run(META_DB, ["current"], "current", "readonly", (s) => request(s.get(key))),
    write: (key, value) => {
      metaCache.delete(key);
      return run(META_DB, ["current"], "current", "readwrite", (s) => request(value === undefined ? s.delete(key) : s.put(value, key)));
    },
  };

  const currentUser = () => meta.get().then((value) => value || {}, () => ({}));

  // --- The outbox -----------------------------------------------------------------------

  // At most one pending write per record: a later save replaces it (a draft, then the final), keeping
  // the base the server last confirmed — or, were it answered meanwhile, the version it was given.
  async function queue(userId, item) {
    const ctx = await context(userId);
    const key = await Codec.keyOf(ctx.keys, "outbox", item.record_id);  // locked: throws
    for (;;) {
      const [raw, known] = await run(userDb(userId), USER_STORES, ["outbox", "versions"], "readonly",
        (tx) => Promise.all([request(tx.objectStore("outbox").get(key)), request(tx.objectStore("versions").get(key))]));
      const earlier = await Codec.decode(ctx, "outbox", key, raw);
      const pending = earlier && !earlier.locked && earlier.state === "pending";
      const base = pending ? earlier.base_version : Math.max(item.base_version || 0, known || 0) || null;
      const entry = { ...rebased(item, base), first_saved_at: pending ? earlier.first_saved_at : item.saved_at,
        state: "pending", attempts: 0, error: null, unconfirmed: pending ? earlier.unconfirmed || earlier.unanswered : undefined };
      const encoded = await Codec.encode(ctx, "outbox", item.record_id, entry);
      const done = await run(userDb(userId), USER_STORES, "outbox", "readwrite", async (s) => {
        const now = await request(s.get(key));
        if ((now && now.saved_at) !== (raw && raw.saved_at)) return false;
        await request(s.put(encoded, key));
        return true;
      });
      if (done) return entry;
    }
  }

  const rebased = (item, base) => ({ ...item, base_version: base, body: withBase(item.body, base), unconfirmed: undefined, unanswered: undefined,
    ...(item.envelope ? { envelope: { ...item.envelope, base_version: base || null } } : {}) });

  function withBase(body, base) {
    const params = new URLSearchParams(body);
    params.delete("base_version");
    if (base) params.set("base_version", String(base));
    return params.toString();
  }

  return { user, meta, currentUser, context, queue, rebased, userDb, pageCache };
})();
