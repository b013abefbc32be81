// Opspor's page script: small ES modules, no build step, no framework. This entry module wires
// them to the page. All of pwa/*.js are served under one content hash, so relative imports
// resolve within one release; the service worker precaches every one of them.
//
// Loaded on every page (and preloaded with <link rel="modulepreload">, see backend/web/assets.py):
//   page.js    who is signed in, the CSRF token, the kept-copy mark; net.js (the one
//              fetch/classify) and outbox.js (the phone's storage, the outbox replay), the two
//              "dual" scripts the classic service worker loads too
//   status.js  the status bar   sync.js  replays, backoff, Background Sync, scope and expiry
//   ui.js, logout.js, install.js
// Page modules, loaded as a second <script type="module"> by the templates that need them (so
// they run before the page's load event, like this one): forms.js with drafts.js, rows.js,
// adbb.js, dates.js and signature.js (records/form.html), push.js (reminders.html),
// outbox-page.js (outbox.html), download.js (today.html). Each starts itself.
import { offerInstall, watchForUpdates } from "./install.js";
import { guardLogout } from "./logout.js";
import { csrf, keptAt, metaContent, Store, userId } from "./page.js";
import { outboxChanged, refreshStatus, setProblem } from "./status.js";
import { expireOldCopies, isProbing, replay, resetBackoff, scheduleRetry, serverReached, syncScope } from "./sync.js";
import { setUpUi } from "./ui.js";
import { fetchServerKey, forgetKeys, watchLock } from "./vault.js";
import { setUpVaultScreens } from "./vault-ui.js";

function showFlash() {
  const flash = sessionStorage.getItem("opspor-flash");
  if (!flash) return;
  sessionStorage.removeItem("opspor-flash");
  const note = document.createElement("p");
  note.className = "alert ok";
  note.setAttribute("role", "status");
  note.textContent = flash;
  document.getElementById("main").prepend(note);
}

// htmx notes each page's path (a child's or a record's id) in sessionStorage for its history cache,
// which is off here (historyCacheSize 0): nothing of it stays on the phone (issue 20).
function forgetHtmxPath() {
  try { sessionStorage.removeItem("htmx-current-path-for-history"); } catch (error) { /* no storage */ }
}

async function start() {
  forgetHtmxPath();
  for (const type of ["htmx:pushedIntoHistory", "htmx:replacedInHistory"]) document.body.addEventListener(type, forgetHtmxPath);
  setUpUi();
  if (metaContent("opspor-page") === "login") {
    forgetKeys();
    try { await Store.meta.set({ userId: null, csrf: null }); } catch (error) { /* no storage */ }
  }
  setUpVaultScreens();
  if (!userId) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchForUpdates).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-replayed") {
        setProblem(event.data.outcome && event.data.outcome.stopped);
        refreshStatus();
        outboxChanged();
      }
      // Another tab's page came from the server: it is back, so send what waits here too.
      if (event.data && event.data.type === "server-reached" && isProbing()) serverReached();
    });
  }
  for (const form of document.querySelectorAll("form[data-logout]")) guardLogout(form);
  await Store.meta.set({ userId, csrf });
  watchLock();
  showFlash();
  const retry = document.querySelector("[data-retry-now]");
  if (retry) retry.addEventListener("click", () => { resetBackoff(); replay(); });
  offerInstall();
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  window.addEventListener("online", () => {
    setProblem(null);
    resetBackoff();
    replay();
  });
  window.addEventListener("offline", refreshStatus);
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) replay();
  });
  await refreshStatus();
  if (!keptAt) {
    // This page came from the server: the network works, so send what waits and re-check scope.
    await fetchServerKey();
    await replay();
    await syncScope();
  } else {
    // A child's page from the phone's copy is still a read of the child's data: audited at the
    // next sync (`reads`).
    const child = location.pathname.match(/^\/children\/([0-9a-f-]{36})$/);
    if (child) await Store.noteOfflineRead(userId, child[1]).catch(() => {});
    await expireOldCopies();
    scheduleRetry({});
  }
}

start();
