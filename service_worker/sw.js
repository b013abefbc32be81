// Opspor's service worker (scope /). The server writes in the release and the asset URLs.
//
// - Static assets (content-hashed URLs) are precached and served from the cache.
// - Pages are network first; a signed-in page is kept in that user's own cache, and without
//   network the kept copy is shown, marked with the time it was kept.
// - Writes never go through here: the page keeps them in the user's outbox (IndexedDB) and
//   replays them; Background Sync lets this worker replay them too. Updating the worker never
//   touches the outbox or drafts.
"use strict";

const RELEASE = "__RELEASE__";
const ASSETS = __ASSET_URLS__;
const STATIC_CACHE = `opspor-static-${RELEASE}`;
const OFFLINE_PAGE = "/offline";
const UNLOCK_PAGE = "/unlock";  // "Lås op": all a locked app shows for kept pages (no user data in it)
const NETWORK_TIMEOUT_MS = 8000;

// The code the page shares with this worker: "dual" scripts (no import/export) that define
// OpsporNet, OpsporCrypto, OpsporCodec, OpsporStore and OpsporSeal on the global object. This
// worker stays a classic script, because not every browser Opspor supports runs service workers
// that are ES modules; the page's ES modules load the same files with `import` (pwa/shared.js).
importScripts("__NET_URL__", "__CRYPTO_URL__", "__CODEC_URL__", "__OUTBOX_URL__", "__PHONE_URL__", "__SEAL_URL__");

// Pages a device may keep: never admin pages (they may show CPR numbers).
const KEEPABLE = [
  /^\/$/, /^\/children$/, /^\/children\/[0-9a-f-]{36}$/, /^\/tasks$/, /^\/outbox$/,
  /^\/conflicts$/, /^\/forms\/[a-z_]+$/, /^\/records\/[0-9a-f-]{36}(\/edit)?$/,
];
const keepable = (url) => KEEPABLE.some((pattern) => pattern.test(url.pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll([...ASSETS, OFFLINE_PAGE, UNLOCK_PAGE])));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("opspor-static-") && key !== STATIC_CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// The data keys (issue 20): an unlocked page hands them over ("keys", again every 20 s), a new page
// asks for them ("keys?"), and a lock drops them ("lock"). Unused for the lock minutes, they go.
let lockMs = 5 * 60000;
const heldKeys = (userId) => {
  const since = OpsporCrypto.idleSince();
  if (since && Date.now() - since > lockMs) OpsporCrypto.drop();
  return OpsporCrypto.held(userId);
};
OpsporCrypto.whenReady(Promise.resolve());

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "activate-update") self.skipWaiting();
  if (data.type === "keys" && data.userId && data.keys) {
    OpsporCrypto.hold(data.userId, data.keys);
    if (data.minutes > 0) lockMs = data.minutes * 60000;
  }
  if (data.type === "lock") OpsporCrypto.drop();
  if (data.type === "keys?" && event.ports[0]) {
    if (OpsporCrypto.heldUser() && OpsporCrypto.heldUser() !== data.userId) OpsporCrypto.drop();  // another user
    event.ports[0].postMessage({ keys: heldKeys(data.userId) });
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event, request, url));
  }
});

async function page(event, request, url) {
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    const owner = response.headers.get("X-Opspor-User");
    if (response.status === 200 && owner && keepable(url) && heldKeys(owner)) {
      event.waitUntil(OpsporStore.storePage(owner, url.pathname + url.search, response.clone()).catch(() => {}));
    }
    if (response.status < 500) event.waitUntil(tellPages({ type: "server-reached" }));
    return response;
  } catch (error) {
    if (url.pathname === UNLOCK_PAGE) return caches.match(UNLOCK_PAGE);
    return (await keptPage(url)) || (await caches.match(OFFLINE_PAGE)) ||
      new Response("Ingen forbindelse", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

// The signed-in user's kept copy of a page, decrypted and marked with when it was kept; while
// the user's data is locked, the "Lås op" page instead (at the page's URL: unlocking reloads it).
async function keptPage(url) {
  const { userId } = await OpsporStore.currentUser();
  if (!userId || !keepable(url)) return null;
  heldKeys(userId);  // the idle limit
  let hit;
  try {
    hit = await OpsporStore.keptPage(userId, url.pathname + url.search);
    if (!hit && url.pathname.startsWith("/forms/") && url.searchParams.get("child")) {
      hit = await OpsporStore.keptPage(userId, `${url.pathname}?child=${url.searchParams.get("child")}`);
    }
  } catch (error) {
    if (!OpsporCodec.isLocked(error)) return null;
    // The browser may have stopped this worker (and so dropped the keys) while a page stayed
    // unlocked: that page (the one navigating away, another tab) hands them back.
    if (await keysFromPages(userId)) return keptPage(url);
    const enrolled = await OpsporStore.meta.read(`vault-${userId}`).catch(() => null);
    return enrolled ? caches.match(UNLOCK_PAGE) : null;
  }
  if (!hit) return null;
  const html = hit.html.replace("</head>",
    `<meta name="opspor-kept-at" content="${hit.keptAt.replace(/[^0-9TZ:.+-]/g, "")}"></head>`);
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function keysFromPages(userId) {
  const pages = await self.clients.matchAll({ type: "window" });
  const keys = await new Promise((resolve) => {
    let left = pages.length;
    const timer = setTimeout(() => resolve(null), 500);
    const answer = (found) => {
      left -= 1;
      if (found || left <= 0) { clearTimeout(timer); resolve(found || null); }
    };
    if (!left) answer(null);
    for (const client of pages) {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => answer(event.data && event.data.keys);
      client.postMessage({ type: "keys-please", userId }, [channel.port2]);
    }
  });
  if (keys) OpsporCrypto.hold(userId, keys);
  return keys;
}

// Background Sync: replay the signed-in user's outbox, then tell the open pages.
self.addEventListener("sync", (event) => {
  if (event.tag === "opspor-outbox") event.waitUntil(replayOutbox());
});

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}

async function replayOutbox() {
  const { userId, csrf } = await OpsporStore.currentUser();
  if (!userId) return;
  const outcome = await OpsporStore.replay(userId, csrf);
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage({ type: "outbox-replayed", outcome });
  }
  if (outcome && outcome.stopped === "network") throw new Error("retry later");
}

// --- Reminders: a push carries {title, body, url, tag} — counts and a link, never a child's
// name or CPR. Clicking the notification focuses an open Opspor window on the link (the task
// list), or opens one.
const PUSH_DEFAULT = { title: "Opspor", body: "Du har opgaver, der venter.", url: "/tasks", tag: "opspor" };
// The icon's content-hashed URL, from the asset list sw.js is served with.
const PUSH_ICON = (typeof ASSETS !== "undefined" && ASSETS.find((u) => u.endsWith("/icons/icon-192.png"))) || undefined;

// Only links inside the app are followed (a push cannot send the user elsewhere).
const sameOriginPath = (url) => {
  try {
    const target = new URL(url || "/tasks", self.location.origin);
    return target.origin === self.location.origin ? target.pathname + target.search : "/tasks";
  } catch (_error) {
    return "/tasks";
  }
};

self.addEventListener("push", (event) => {
  let message = PUSH_DEFAULT;
  if (event.data) {
    try {
      message = { ...PUSH_DEFAULT, ...event.data.json() };
    } catch (_error) {
      message = { ...PUSH_DEFAULT, body: event.data.text() || PUSH_DEFAULT.body };
    }
  }
  event.waitUntil(
    self.registration.showNotification(String(message.title), {
      body: String(message.body),
      tag: String(message.tag),
      renotify: true,
      icon: PUSH_ICON,
      badge: PUSH_ICON,
      lang: "da",
      data: { url: sameOriginPath(message.url) },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = sameOriginPath(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin !== self.location.origin) continue;
        if ("navigate" in client) {
          try {
            const navigated = await client.navigate(path);
            if (navigated) return navigated.focus();
          } catch (_error) {
            // An uncontrolled window cannot be navigated: focus it below or open a new one.
          }
        }
        return client.focus();
      }
      return self.clients.openWindow(path);
    })()
  );
});
