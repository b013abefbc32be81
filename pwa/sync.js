// Sending what waits in the outbox: now, on a timer with backoff, and through Background Sync.
import { Store } from "./shared.js";
import { csrf, store, userId } from "./page.js";
import { outboxChanged, refreshStatus, setProblem, setSending } from "./status.js";

const FIRST_DELAY_MS = 5000;
let retryDelay = FIRST_DELAY_MS;
let retryTimer = null;
let sending = false;

export const resetBackoff = () => { retryDelay = FIRST_DELAY_MS; };

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
  }
  await refreshStatus();
  scheduleRetry(outcome);
  outboxChanged();
  return outcome;
}

export async function scheduleRetry(outcome) {
  clearTimeout(retryTimer);
  const waiting = (await store.all("outbox")).some((entry) => entry.value.state === "pending");
  if (!waiting || (outcome && outcome.stopped === "login")) {
    resetBackoff();
    return;
  }
  retryTimer = setTimeout(replay, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 300000);
}

export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("opspor-outbox");
  } catch (error) { /* not supported (Safari): the timer and app start replay instead */ }
}
