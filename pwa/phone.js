// The phone's copy of a user's pages, the outbox replay, and deleting data from the phone; shared
// by the page and the service worker (a dual script loaded after outbox.js: it adds these to
// OpsporStore).
//
// Kept pages are encrypted (issue 20): Cache Storage "opspor-pages-<user id>" holds each page under
// `/kept/<OpsporCrypto.name(hmac, path+search)>`, its body the AES-GCM ciphertext (IV first), with
// only two headers: X-Opspor-Cached-At and X-Opspor-Child (the child's id, named by the HMAC).
"use strict";

(() => {
  const Store = globalThis.OpsporStore;
  const C = globalThis.OpsporCrypto;
  const Codec = globalThis.OpsporCodec;
  const { pageCache } = Store;

  const isValid = (item) => (item && item.locked && Array.isArray(item.sealed)) || item && typeof item.url === "string" && item.url.startsWith("/records/")
    && typeof item.body === "string" && typeof item.record_id === "string";

  // An item written by this release carries the sync wire's JSON envelope; one queued by an
  // older release (form body only) is replayed the old way, one form post each.
  const onWire = (item) => item.locked || item.envelope && typeof item.envelope === "object"
    && item.envelope.id === item.record_id;

  // Child pages opened from the phone's copy while offline: sent as `reads` at the next sync.
  async function noteOfflineRead(userId, childId) {
    const store = Store.user(userId);
    const reads = (await store.get("facts", "offline_reads")) || [];
    reads.push(await Codec.sealRead(await Store.context(userId), { child_id: childId, at: new Date().toISOString() }));
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
    const store = Store.user(userId);
    const entries = await store.all("outbox");
    const outcome = { sent: 0, stopped: null, needsLogin: false, removed: [] };
    for (const { key, value } of entries) {
      if (!isValid(value) && !(value && (value.state === "quarantined" || value.locked))) {
        await store.put("outbox", key, { record_id: key, state: "quarantined",
          raw: String(JSON.stringify(value)).slice(0, 2000) });
      }
    }
    const items = entries.map((entry) => entry.value)
      .filter((item) => isValid(item) && item.state === "pending")
      .sort((a, b) => String(a.first_saved_at).localeCompare(String(b.first_saved_at)));
    const wired = await OpsporNet.syncRound(store, csrf, await Store.context(userId), items.filter(onWire), timeoutMs, onProgress, outcome);
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


  // --- Kept pages ------------------------------------------------------------------------
  const keptUrl = async (keys, path) => `/kept/${await C.name(keys.hmac, path)}`;

  async function storePage(userId, url, response) {
    const keys = await C.ready(userId);
    if (!keys) throw new Codec.Locked();
    const boxed = await C.boxBytes(keys.aes, new Uint8Array(await response.arrayBuffer()));
    const iv = C.unb64url(boxed.iv);
    const ct = C.unb64url(boxed.ct);
    const body = new Uint8Array(iv.length + ct.length);
    body.set(iv);
    body.set(ct, iv.length);
    const headers = new Headers({ "X-Opspor-Cached-At": new Date().toISOString() });
    const child = response.headers.get("X-Opspor-Child");
    if (child) headers.set("X-Opspor-Child", await C.name(keys.hmac, child));
    const cache = await caches.open(pageCache(userId));
    await cache.put(await keptUrl(keys, url), new Response(body, { status: 200, headers }));
  }

  // The kept copy of a path: {html, keptAt}, or null (none kept; locked: OpsporCodec.Locked).
  async function keptPage(userId, path) {
    const keys = await C.ready(userId);
    if (!keys) throw new Codec.Locked();
    const cache = await caches.open(pageCache(userId));
    const hit = await cache.match(await keptUrl(keys, path));
    if (!hit) return null;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    const plain = await C.openBytes(keys.aes, { iv: C.b64url(bytes.slice(0, 12)), ct: C.b64url(bytes.slice(12)) });
    return { html: new TextDecoder().decode(plain), keptAt: hit.headers.get("X-Opspor-Cached-At") || "" };
  }

  const hasKept = async (userId, path) => {
    const keys = await C.ready(userId);
    return Boolean(keys && (await (await caches.open(pageCache(userId))).match(await keptUrl(keys, path))));
  };

  // --- Deleting data from the phone -------------------------------------------------------
  // Pages of children who left the user's scope (not in `keepChildIds`, or in `dropChildIds`: a
  // sync answer's removed_child_ids), and everything older than the data lifetime. The outbox
  // and drafts are never touched here. Locked, only the age is known.
  async function purgePages(userId, keepChildIds, maxAgeDays, dropChildIds = []) {
    const cache = await caches.open(pageCache(userId));
    const keys = await C.ready(userId);
    const named = async (ids) => (keys ? new Set(await Promise.all(ids.map((id) => C.name(keys.hmac, id)))) : new Set());
    const keep = keepChildIds && keys ? await named(keepChildIds) : null;
    const drop = await named(dropChildIds);
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

  const deleteDb = (name) => new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });

  // Logging out wipes the user's data: their database, their kept pages, their wrapped keys and
  // the session in the meta database — never the app shell (the precached "opspor-static-<release>"
  // cache), so the next user on a shared phone can work offline at once.
  async function wipeUser(userId) {
    C.drop();
    await caches.delete(pageCache(userId));
    await deleteDb(Store.userDb(userId));
    await Store.meta.write(`vault-${userId}`, undefined);
    await Store.meta.set({ userId: null, csrf: null });
  }

  // Five wrong PINs: the user's data on this phone is deleted and the wrapped keys with it; the
  // outbox's sealed writes stay (unreadable here) and are still sent. The answer: how many wait.
  async function wipeDeviceData(userId) {
    C.drop();
    await caches.delete(pageCache(userId));
    await Store.meta.write(`vault-${userId}`, undefined);
    const store = Store.user(userId);
    const outbox = await store.all("outbox");
    await Promise.all(["drafts", "versions", "facts"].map((name) => store.clear(name)));
    let waiting = 0;
    for (const { key, value } of outbox) {
      if (value.state === "pending" && Array.isArray(value.raw.sealed) && value.raw.sealed.length) {
        waiting += 1;
        await store.put("outbox", Codec.OPAQUE + key, { ...value, raw: { ...pickClear(value.raw), sealed: value.raw.sealed } });
      } else {
        await store.delete("outbox", Codec.OPAQUE + key);
      }
    }
    return waiting;
  }
  const pickClear = (raw) => ({ state: raw.state, attempts: raw.attempts, first_saved_at: raw.first_saved_at, saved_at: raw.saved_at });

  Object.assign(Store, { replay, isValid, noteOfflineRead, storePage, keptPage, hasKept, purgePages, wipeUser, wipeDeviceData });
})();
