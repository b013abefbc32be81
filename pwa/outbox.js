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

  const user = (userId) => ({
    get: (store, key) => run(userDb(userId), USER_STORES, store, "readonly", (s) => request(s.get(key))),
    put: (store, key, value) => run(userDb(userId), USER_STORES, store, "readwrite", (s) => request(s.put(value, key))),
    delete: (store, key) => run(userDb(userId), USER_STORES, store, "readwrite", (s) => request(s.delete(key))),
    all: (store) => run(userDb(userId), USER_STORES, store, "readonly", async (s) => {
      const [keys, values] = await Promise.all([request(s.getAllKeys()), request(s.getAll())]);
      return keys.map((key, i) => ({ key, value: values[i] }));
    }),
    clear: (store) => run(userDb(userId), USER_STORES, store, "readwrite", (s) => request(s.clear())),
    // Writes in one transaction ([op, store, key, value]); `sent` (record id → item as sent): a record
    // saved again while on the wire keeps its newer item — an answer never deletes an unsent write —
    // and a "rebase" op gives that newer item the version the server just answered as its base.
    batch: (ops, sent) => runBatch(userDb(userId), ops, sent),
  });

  async function runBatch(name, ops, sent = new Map()) {
    if (!ops.length) return;
    const db = await open(name, USER_STORES);
    try {
      await new Promise((resolve, reject) => {
        const tx = db.transaction(USER_STORES, "readwrite");
        const replaced = new Map(); let waiting = sent.size;
        const apply = () => ops.forEach(([op, store, key, value]) => {
          const newer = replaced.get(key);
          if (op === "rebase" || op === "unconfirmed") {  // the newer item: its base, or the write sent before it
            if (newer) tx.objectStore(store).put(op === "rebase" ? rebased(newer, value) : { ...newer, unconfirmed: newer.unconfirmed || value }, key);
          } else if (!(newer && (store === "outbox" || store === "drafts"))) {
            if (op === "put") tx.objectStore(store).put(value, key); else tx.objectStore(store).delete(key);
          }
        });
        if (!waiting) apply();
        sent.forEach((item, key) => {
          const read = tx.objectStore("outbox").get(key);
          read.onsuccess = () => {
            if (read.result && read.result.saved_at !== item.saved_at) replaced.set(key, read.result);
            if (--waiting === 0) apply();
          };
        });
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("aborted"));
      });
    } finally {
      db.close();
    }
  }

  const meta = {
    get: () => run(META_DB, ["current"], "current", "readonly", (s) => request(s.get("current"))),
    set: (value) => run(META_DB, ["current"], "current", "readwrite", (s) => request(s.put(value, "current"))),
  };

  const currentUser = () => meta.get().then((value) => value || {}, () => ({}));

  // --- The outbox -----------------------------------------------------------------------

  // At most one pending write per record: a later save replaces it (a draft, then the final), keeping
  // the base the server last confirmed — or, were it answered meanwhile, the version it was given.
  const queue = (userId, item) => run(userDb(userId), USER_STORES, ["outbox", "versions"], "readwrite", async (tx) => {
    const [outbox, versions] = [tx.objectStore("outbox"), tx.objectStore("versions")];
    const [earlier, known] = await Promise.all([request(outbox.get(item.record_id)), request(versions.get(item.record_id))]);
    const pending = earlier && earlier.state === "pending";
    const base = pending ? earlier.base_version : Math.max(item.base_version || 0, known || 0) || null;
    const entry = { ...rebased(item, base), first_saved_at: pending ? earlier.first_saved_at : item.saved_at,
      state: "pending", attempts: 0, error: null, unconfirmed: pending ? earlier.unconfirmed || earlier.unanswered : undefined };
    await request(outbox.put(entry, item.record_id));
    return entry;
  });

  const rebased = (item, base) => ({ ...item, base_version: base, body: withBase(item.body, base), unconfirmed: undefined, unanswered: undefined,
    ...(item.envelope ? { envelope: { ...item.envelope, base_version: base || null } } : {}) });

  function withBase(body, base) {
    const params = new URLSearchParams(body);
    params.delete("base_version");
    if (base) params.set("base_version", String(base));
    return params.toString();
  }

  const isValid = (item) => item && typeof item.url === "string" && item.url.startsWith("/records/")
    && typeof item.body === "string" && typeof item.record_id === "string";

  // An item written by this release carries the sync wire's JSON envelope; one queued by an
  // older release (form body only) is replayed the old way, one form post each.
  const onWire = (item) => item.envelope && typeof item.envelope === "object"
    && item.envelope.id === item.record_id;

  // Child pages opened from the phone's copy while offline: sent as `reads` at the next sync.
  async function noteOfflineRead(userId, childId) {
    const store = user(userId);
    const reads = (await store.get("facts", "offline_reads")) || [];
    reads.push({ child_id: childId, at: new Date().toISOString() });
    await store.put("facts", "offline_reads", reads.slice(-1000));
  }

  // Send what is waiting, oldest first, one replay at a time across tabs and the worker.
  // An item leaves the outbox only when the server confirmed it (200/201/202); 409 and 422 stay
  // as items to resolve; a missing session or a dead network stops the round for later.
  async function replay(userId, csrf, { timeoutMs = 15000, onProgress = () => {} } = {}) {
    const work = () => replayRound(userId, csrf, timeoutMs, onProgress);
    if (self.navigator && navigator.locks) {
      return navigator.locks.request(`opspor-outbox-${userId}`, { ifAvailable: true },
        (lock) => (lock ? work() : { busy: true }));
    }
    return work();
  }

  async function replayRound(userId, csrf, timeoutMs, onProgress) {
    const store = user(userId);
    const entries = await store.all("outbox");
    const outcome = { sent: 0, stopped: null, needsLogin: false, removed: [] };
    for (const { key, value } of entries) {
      if (!isValid(value) && !(value && value.state === "quarantined")) {
        await store.put("outbox", key, { record_id: key, state: "quarantined",
          raw: String(JSON.stringify(value)).slice(0, 2000) });
      }
    }
    const items = entries.map((entry) => entry.value)
      .filter((item) => isValid(item) && item.state === "pending")
      .sort((a, b) => String(a.first_saved_at).localeCompare(String(b.first_saved_at)));
    const wired = await OpsporNet.syncRound(store, csrf, items.filter(onWire), timeoutMs, onProgress, outcome);
    if (outcome.removed.length) await purgePages(userId, null, null, outcome.removed);  // left the scope
    if (!wired) {
      await store.put("facts", "needs_login", outcome.needsLogin);
      return outcome;
    }
    for (const item of items.filter((each) => !onWire(each))) {
      onProgress(item);
      const answer = await OpsporNet.postForm(item.url, item.body, csrf, { timeoutMs, replay: true });
      const { status, json } = answer;
      const meaning = OpsporNet.classify(answer);
      if (meaning === "sent") {
        await store.delete("outbox", item.record_id);
        if (json && json.version) await store.put("versions", item.record_id, json.version);
        await store.delete("drafts", item.record_id);
        await store.put("facts", "last_sent_at", new Date().toISOString());
        outcome.sent += 1;
      } else if (meaning === "resolve") {
        await store.put("outbox", item.record_id, { ...item, state: status === 409 ? "conflict" : "invalid",
          status, error: json, attempts: (item.attempts || 0) + 1 });
      } else {
        await store.put("outbox", item.record_id, { ...item, attempts: (item.attempts || 0) + 1,
          last_try_at: new Date().toISOString() });
        outcome.stopped = meaning === "login" ? "login" : "network";
        outcome.needsLogin = meaning === "login";
        break;
      }
    }
    await store.put("facts", "needs_login", outcome.needsLogin);
    return outcome;
  }

  // --- Deleting data from the phone -------------------------------------------------------
  // Pages of children who left the user's scope (not in `keepChildIds`, or in `dropChildIds`: a
  // sync answer's removed_child_ids), and everything older than the data lifetime. The outbox
  // and drafts are never touched here.
  async function purgePages(userId, keepChildIds, maxAgeDays, dropChildIds = []) {
    const cache = await caches.open(pageCache(userId));
    const keep = keepChildIds ? new Set(keepChildIds) : null;
    const drop = new Set(dropChildIds);
    const oldest = maxAgeDays ? Date.now() - maxAgeDays * 86400000 : null;
    let removed = 0;
    for (const req of await cache.keys()) {
      const response = await cache.match(req);
      const child = response && response.headers.get("X-Opspor-Child");
      const cachedAt = response && Date.parse(response.headers.get("X-Opspor-Cached-At") || "");
      const gone = child && ((keep && !keep.has(child)) || drop.has(child));
      const stale = oldest && (!cachedAt || cachedAt < oldest);
      if (gone || stale) {
        await cache.delete(req);
        removed += 1;
      }
    }
    return removed;
  }

  // Logging out wipes the user's data: their database, their kept pages and the session in the
  // meta database — never the app shell (the precached "opspor-static-<release>" cache), so the
  // next user on a shared phone can work offline at once.
  async function wipeUser(userId) {
    await caches.delete(pageCache(userId));
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(userDb(userId));
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    });
    await meta.set({ userId: null, csrf: null });
  }

  async function storePage(userId, url, response) {
    const body = await response.blob();
    const headers = new Headers(response.headers);
    headers.set("X-Opspor-Cached-At", new Date().toISOString());
    const cache = await caches.open(pageCache(userId));
    await cache.put(url, new Response(body, { status: 200, headers }));
  }

  return { user, meta, currentUser, queue, replay, purgePages, wipeUser, storePage, pageCache,
    isValid, noteOfflineRead };
})();
