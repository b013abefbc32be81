// Sending what waits in the outbox: now, on a timer with backoff, and through Background Sync;
// and deleting what the phone may no longer keep.
import { refreshKept } from "./keep.js";
import { csrf, Store, store, userId } from "./page.js";
import { outboxChanged, refreshStatus, setProblem, setSending } from "./status.js";

const FIRST_DELAY_MS = 5000;
// While a page is open, a retry (which is also the probe for the server's return) is never
// further off than this, so sending resumes at most 30 s after the network comes back.
const MAX_DELAY_MS = 30000;
// While something waits and the last round found no server, a cheap probe (GET /healthz, one
// small JSON answer) asks every few seconds; the first answer starts delivery at once, so the
// writes go out within 5 s of the server's return instead of at the next (≤ 30 s) retry.
const PROBE_MS = 3000;
let retryDelay = FIRST_DELAY_MS;
let retryTimer = null;
let probeTimer = null;
let sending = false;

export const resetBackoff = () => { retryDelay = FIRST_DELAY_MS; };

// Any successful contact with the server (the probe, a page another tab loaded through the
// service worker, an htmx request): send now, with the backoff started over.
export function serverReached() {
  resetBackoff();
  return replay();
}

async function probe() {
  if (sending) return;
  try {
    const answer = await fetch("/healthz", { cache: "no-store", credentials: "same-origin" });
    if (answer.ok && probeTimer) serverReached();
  } catch (error) { /* still no server */ }
}

const probing = (on) => {
  if (on && !probeTimer) probeTimer = setInterval(probe, PROBE_MS);
  if (!on && probeTimer) { clearInterval(probeTimer); probeTimer = null; }
};
export const isProbing = () => probeTimer !== null;

export async function replay() {
  if (!store || sending) return undefined;
  sending = true;
  setSending(true);
  refreshStatus();
  let outcome;
  try {
    outcome = await Store.replay(userId, csrf, { onProgress: refreshStatus });
  } finally {
    sending = false;
    setSending(false);
  }
  if (outcome && !outcome.busy) setProblem(outcome.stopped);
  if (outcome && !outcome.busy && !outcome.stopped) {
    await store.put("facts", "last_sync_at", new Date().toISOString());
    if (outcome.sent) refreshKept(true);  // the delivered writes changed those children's pages
  }
  await refreshStatus();
  scheduleRetry(outcome);
  outboxChanged();
  return outcome;
}

export async function scheduleRetry(outcome) {
  clearTimeout(retryTimer);
  const waiting = (await store.all("outbox")).some((entry) => entry.value.state === "pending")
    || ((await store.get("facts", "offline_reads")) || []).length > 0;
  if (!waiting || (outcome && outcome.stopped === "login")) {
    resetBackoff();
    probing(false);
    return;
  }
  // Probe only when no server answered (a save kept on the phone, a round without answer, another
  // tab's round): a server that answers with errors is left to the backoff.
  probing(!outcome || outcome.sent === undefined || Boolean(outcome.unreachable));
  if (outcome && outcome.sent && !outcome.stopped) {
    resetBackoff();  // the round went through and something was saved meanwhile: send it now
    retryTimer = setTimeout(replay, 0);
    return;
  }
  retryTimer = setTimeout(replay, retryDelay);
  retryDelay = Math.min(retryDelay * 2, MAX_DELAY_MS);
}

export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("opspor-outbox");
  } catch (error) { /* not supported (Safari): the timer and app start replay instead */ }
}

// Children who left the user's scope are deleted from the phone (also by a sync answer's
// removed_child_ids, see outbox.js); so is everything kept longer than the municipality's
// offline lifetime without a successful sync. Kept pages that changed are fetched again.
export async function syncScope() {
  try {
    const response = await fetch("/api/sync/scope", { credentials: "same-origin" });
    if (!response.ok) return;
    const scope = await response.json();
    await Store.purgePages(userId, scope.children, null);
    await store.put("facts", "offline_days", scope.offline_days);
    await store.put("facts", "last_sync_at", new Date().toISOString());
  } catch (error) { /* offline: try again next time */ }
  await refreshKept();
}

export async function expireOldCopies() {
  const lastSync = await store.get("facts", "last_sync_at");
  const days = (await store.get("facts", "offline_days")) || 7;
  if (lastSync && Date.now() - Date.parse(lastSync) > days * 86400000) {
    await Store.purgePages(userId, null, days);
  }
}
