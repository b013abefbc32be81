// Opspor's page script: small ES modules, no build step, no framework. This entry module wires
// them to the page. The modules (all in pwa/, served under one content hash so their relative
// imports resolve to the same release):
//   shared.js  the dual scripts net.js (the one fetch/classify) and outbox.js (the phone's
//              storage and the outbox replay), which the service worker loads too
//   page.js    who is signed in, the CSRF token, the kept-copy mark
//   status.js  the status bar          sync.js    replays, backoff, Background Sync
//   forms.js   record forms, saving    drafts.js  autosaved drafts
//   dates.js   age in months, as backend/domain/dates.py computes it; adbb.js uses it
//   rows.js, signature.js, push.js, logout.js, outbox-page.js, offline.js, install.js, ui.js
import { setUpDownload, expireOldCopies, syncScope } from "./offline.js";
import { enhanceForm } from "./forms.js";
import { offerInstall, watchForUpdates } from "./install.js";
import { guardLogout } from "./logout.js";
import { setUpOutboxPage } from "./outbox-page.js";
import { csrf, keptAt, metaContent, userId } from "./page.js";
import { setUpPushBox } from "./push.js";
import { setUpRows } from "./rows.js";
import { Store } from "./shared.js";
import { setUpSignatures } from "./signature.js";
import { outboxChanged, refreshStatus, setProblem } from "./status.js";
import { replay, resetBackoff, scheduleRetry } from "./sync.js";
import { setUpUi } from "./ui.js";

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

async function start() {
  setUpUi();
  setUpRows();
  setUpSignatures();
  setUpPushBox();
  if (metaContent("opspor-page") === "login") {
    try { await Store.meta.set({ userId: null, csrf: null }); } catch (error) { /* no storage */ }
  }
  if (!userId) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchForUpdates).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-replayed") {
        setProblem(event.data.outcome && event.data.outcome.stopped);
        refreshStatus();
        outboxChanged();
      }
    });
  }
  await Store.meta.set({ userId, csrf });
  showFlash();
  for (const form of document.querySelectorAll("form[data-record-form]")) enhanceForm(form);
  for (const form of document.querySelectorAll("form[data-logout]")) guardLogout(form);
  setUpDownload();
  const retry = document.querySelector("[data-retry-now]");
  if (retry) retry.addEventListener("click", () => { resetBackoff(); replay(); });
  setUpOutboxPage();
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
    await replay();
    await syncScope();
  } else {
    await expireOldCopies();
    scheduleRetry({});
  }
}

start();
