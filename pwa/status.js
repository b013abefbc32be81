// The status bar: always the truth about what is on the phone. The sending flag and the last
// problem (null, "network" or "login") live here and change only through these functions.
import { Crypto, day, isIos, keptAt, store, time, userId } from "./page.js";
import { _ } from "./texts.js";

const state = { sending: false, problem: keptAt ? "network" : null, hideSent: 0 };  // a kept copy: the network just failed

// "Alt er sendt" is news for a moment after a delivery, not a bar for the rest of the session.
export const SENT_SHOWN_MS = 8000;

export const setSending = (sending) => { state.sending = sending; };
export const setProblem = (problem) => { state.problem = problem || null; };

// A replay changed the outbox: the outbox page (outbox-page.js) listens.
export const OUTBOX_CHANGED = "opspor:outbox-changed";
export const outboxChanged = () => document.dispatchEvent(new CustomEvent(OUTBOX_CHANGED));

export async function refreshStatus() {
  const statusBar = document.getElementById("sync-status");
  if (!statusBar || !store) return;
  if (!(await Crypto.ready(userId))) {  // locked (or not protected): no counts
    statusBar.textContent = "";
    statusBar.removeAttribute("data-state");
    return;
  }
  const items = (await store.all("outbox")).map((entry) => entry.value);
  const waiting = items.filter((item) => item.state === "pending").length;
  // Sent, but kept for the unit's leader instead of the child's journal (202): never "Alt er
  // sendt" while the author has not acknowledged it on /outbox.
  const kept = items.filter((item) => item.state === "kept").length;
  const toResolve = items.length - waiting - kept;
  const lastSent = await store.get("facts", "last_sent_at");
  const needsLogin = await store.get("facts", "needs_login");
  const offline = !navigator.onLine || state.problem === "network";
  let kind, text;
  if (needsLogin && waiting) {
    kind = "failed";
    text = _("{waiting} venter: log ind igen for at sende dem.", { waiting });
  } else if (toResolve) {
    kind = "failed";
    text = _("{count} kræver din handling – åbn listen.", { count: toResolve });
  } else if (state.sending && waiting) {
    kind = "sending";
    text = _("Sender {waiting} …", { waiting });
  } else if (waiting) {
    kind = offline ? "offline" : "waiting";
    text = offline ? _("Offline – {waiting} venter på at blive sendt.", { waiting }) : _("{waiting} venter på at blive sendt.", { waiting });
    const oldest = items.filter((i) => i.state === "pending").map((i) => i.first_saved_at).sort()[0];
    if (isIos && oldest && Date.now() - Date.parse(oldest) > 2 * 86400000) {
      text += " " + _("Åbn Opspor med net snart: iPhone kan slette data, der har ligget længe.");
    }
  } else if (kept) {
    kind = "kept";
    text = _("{kept} sendt til lederen – barnet er ikke længere i din enhed. Åbn listen.", { kept });
  } else if (offline) {
    kind = "offline";
    text = keptAt ? _("Offline – vist fra {when}.", { when: day(keptAt) }) : _("Offline.");
  } else if (lastSent && Date.now() - Date.parse(lastSent) < SENT_SHOWN_MS) {
    kind = "sent";
    text = _("Alt er sendt (senest kl. {time}).", { time: time(lastSent) });
    clearTimeout(state.hideSent);
    state.hideSent = setTimeout(refreshStatus, SENT_SHOWN_MS - (Date.now() - Date.parse(lastSent)) + 50);
  } else if (keptAt) {
    kind = "waiting";
    text = "";
  } else {
    statusBar.textContent = "";
    statusBar.removeAttribute("data-state");
    return;
  }
  if (keptAt && !(kind === "offline" && !waiting)) {
    text += " " + _("Siden er vist fra {when} – genindlæs for den nyeste.", { when: day(keptAt) });
  }
  statusBar.dataset.state = kind;
  statusBar.textContent = "";
  const link = document.createElement("a");
  link.href = "/outbox";
  link.textContent = text;
  statusBar.append(link);
}
