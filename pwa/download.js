// Keeping pages for offline use: "Hent til offline" on the front page (today.html loads this module).
import { isIos, standalone, Store, store, userId } from "./page.js";
import { _ } from "./texts.js";


async function downloadForOffline(button) {
  const status = button.parentElement.querySelector("[data-download-status]");
  if (isIos && !standalone) {
    status.textContent = _("Føj først Opspor til hjemmeskærmen (Del → Føj til hjemmeskærm) og åbn appen derfra. Ellers kan iPhone slette det, der er gemt.");
    return;
  }
  button.disabled = true;
  try {
    const manifest = await (await fetch("/api/offline/manifest", { credentials: "same-origin" })).json();
    const etags = manifest.etags || {};
    const kept = await caches.open(Store.pageCache(userId));
    let done = 0;
    for (const url of manifest.urls) {
      // Only what changed: a kept copy whose ETag the manifest names is current; one with
      // another ETag is asked for with If-None-Match (304: the kept copy stays).
      const copy = await kept.match(url);
      const keptTag = copy && copy.headers.get("ETag");
      if (!(keptTag && etags[url] === keptTag)) {
        const response = await fetch(url, { credentials: "same-origin", cache: "no-store",
          headers: keptTag ? { "If-None-Match": keptTag } : {} });
        if (response.ok && response.headers.get("X-Opspor-User") === userId) {
          // The copy remembers the manifest's ETag when the page itself sent none (the server
          // computes page versions only for conditional requests).
          let copyOf = response;
          if (!response.headers.get("ETag") && etags[url]) {
            const headers = new Headers(response.headers);
            headers.set("ETag", etags[url]);
            copyOf = new Response(await response.blob(), { status: response.status, headers });
          }
          await Store.storePage(userId, url, copyOf);
        }
      }
      done += 1;
      status.textContent = _("Henter … {done} af {total}", { done, total: manifest.urls.length });
    }
    await store.put("facts", "offline_enabled", true);
    await store.put("facts", "last_sync_at", new Date().toISOString());
    status.textContent = _("Klar til brug uden net: {children} børn ({done} sider).", { children: manifest.children, done });
  } catch (error) {
    status.textContent = _("Hentningen blev afbrudt. Prøv igen, når der er net.");
  } finally {
    button.disabled = false;
  }
}

if (userId) {
  for (const button of document.querySelectorAll("[data-download-offline]")) {
    button.addEventListener("click", () => downloadForOffline(button));
  }
}
