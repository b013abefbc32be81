// Keeping pages for offline use, only what changed: "Hent til offline" (download.js) and every
// later sync (sync.js) compare the manifest's ETags with the kept copies' and fetch the rest.
import { Store, store, userId } from "./page.js";

// A later sync checks the kept copies at most this often (the manifest computes every page's
// version), unless it has just delivered writes, which change those children's pages.
const CHECK_EVERY_MS = 60000;

// Fetch the manifest's pages whose kept copy is missing or has another ETag (with If-None-Match:
// a 304 keeps the copy). `keptOnly`: only pages the phone keeps and the manifest versions (a
// later sync), never new ones. The answer: {manifest, fetched}.
export async function keepChanged({ keptOnly = false, onPage = () => {} } = {}) {
  const manifest = await (await fetch("/api/offline/manifest", { credentials: "same-origin" })).json();
  const etags = manifest.etags || {};
  // The kept copies' ETags: in the user's facts, encrypted (a page's URL names a child).
  const keptTags = (await store.get("facts", "etags")) || {};
  let fetched = 0, seen = 0;
  for (const url of manifest.urls) {
    const copy = await Store.hasKept(userId, url);
    const keptTag = copy && keptTags[url];
    const current = keptTag && etags[url] === keptTag;
    if (!current && !(keptOnly && !(copy && etags[url]))) {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store",
        headers: keptTag ? { "If-None-Match": keptTag } : {} });
      if (response.ok && response.headers.get("X-Opspor-User") === userId) {
        // The copy remembers the manifest's ETag when the page itself sent none (the server
        // computes page versions only for conditional requests).
        keptTags[url] = response.headers.get("ETag") || etags[url] || null;
        await Store.storePage(userId, url, response);
        fetched += 1;
      }
    }
    onPage((seen += 1), manifest.urls.length);
  }
  await store.put("facts", "etags", keptTags);
  await store.put("facts", "kept_checked_at", new Date().toISOString());
  return { manifest, fetched };
}

// After a sync: refresh the kept child pages that changed on the server, when the user keeps
// pages at all ("Hent til offline" once) — at once after writes were delivered, else at most
// once a minute.
let refreshing = null;  // one refresh at a time in this page

export function refreshKept(delivered = false) {
  refreshing = refreshing || (async () => {
    try {
      if (!(await store.get("facts", "offline_enabled"))) return null;
      const checked = Date.parse((await store.get("facts", "kept_checked_at")) || "") || 0;
      if (!delivered && Date.now() - checked < CHECK_EVERY_MS) return null;
      return await keepChanged({ keptOnly: true });
    } catch (error) {
      return null;  // offline again: the next sync tries
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
