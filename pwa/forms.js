// Record forms (records/form.html loads this module): drafts on every change, saving to the
// server at once when it answers, else into the outbox.
import { updateAdbb } from "./adbb.js";
import { envelopeOf } from "./envelope.js";
import { describe, formFields, keepOnPeek, offerDraft, openForFix, recordIdOf, resumePeek, saveDraft, setRecordId } from "./drafts.js";
import { Codec, csrf, keptAt, Net, Store, store, userId } from "./page.js";
import { isEnrolled } from "./vault.js";
import { refreshStatus, setProblem } from "./status.js";
import { requestBackgroundSync, scheduleRetry } from "./sync.js";
import { setUpRows } from "./rows.js";
import { setUpSignatures } from "./signature.js";
import { showFormMessage } from "./ui.js";
import { _ } from "./texts.js";

const SEND_TIMEOUT_MS = 10000;

function enhanceForm(form) {
  if (form.dataset.new !== undefined && keptAt) {
    setRecordId(form, crypto.randomUUID());  // a kept blank form: every opening is a new record
  }
  updateAdbb(form);
  let timer = null;
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => saveDraft(form), 300); });
  form.addEventListener("change", () => { updateAdbb(form); saveDraft(form); });
  form.addEventListener("submit", (event) => {
    if (form.dataset.native) return;
    event.preventDefault();
    const body = formFields(form, event.submitter);  // before the buttons are disabled
    const then = event.submitter?.dataset.thenNext || null;  // "Gem og næste barn": where to go next
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    submitRecord(form, body, then).finally(() => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
    });
  });
  keepOnPeek(form);
  openForFix(form).then(async (fixing) => { if (!fixing && !(await resumePeek(form))) offerDraft(form); });
}

async function submitRecord(form, body, then) {
  const record_id = recordIdOf(form);
  const params = new URLSearchParams(body);
  if (params.get("then") === "next") params.set("status", "final");
  const pending = await store.get("outbox", record_id);
  const known = await store.get("versions", record_id);
  let base = Number(params.get("base_version")) || null;
  if (known && (!base || known > base)) base = known;
  if (pending && pending.state === "pending") base = pending.base_version;
  if (base) params.set("base_version", String(base)); else params.delete("base_version");
  const item = { ...describe(form), record_id, url: `/records/${record_id}`, body: params.toString(),
    base_version: base, status: params.get("status"), saved_at: new Date().toISOString(),
    envelope: envelopeOf(form, record_id, params.toString()) };

  if (pending && pending.state === "pending") {
    // Something for this record already waits: this save replaces it (one write).
    return keepOnPhone(form, item);
  }
  const answer = await Net.postForm(item.url, item.body, csrf, { timeoutMs: SEND_TIMEOUT_MS });
  const { status, json } = answer;
  const meaning = Net.classify(answer);
  if (status === 200 || status === 201) {
    await store.put("versions", record_id, json.version);
    if (pending) await store.delete("outbox", record_id);  // a refused item, corrected ("Ret")
    await store.delete("drafts", record_id);
    await store.put("facts", "last_sent_at", new Date().toISOString());
    location.assign(then || form.dataset.after || `/records/${record_id}?gemt=1`);
  } else if (status === 202) {
    await store.delete("drafts", record_id);
    showFormMessage(form, "warn", json.detail);
  } else if (status === 409 && json && json.conflict_id) {
    location.assign(`/conflicts/${json.conflict_id}`);
  } else if (status === 422 || status === 400) {
    form.dataset.native = "1";
    const native = document.createElement("input");
    native.type = "hidden";
    native.name = "status";
    native.value = params.get("status");
    if (params.get("then")) {
      const next = document.createElement("input");
      next.type = "hidden";
      next.name = "then";
      next.value = params.get("then");
      form.append(next);
    }
    if (base) form.querySelector('input[name="base_version"]')?.setAttribute("value", String(base));
    form.append(native);
    HTMLFormElement.prototype.submit.call(form);  // the server shows the errors, keeping what was typed
  } else if (meaning === "resolve") {
    showFormMessage(form, "error", (json && json.detail) || _("Registreringen kunne ikke gemmes."));
  } else {
    // No answer, the server failing, or the session (or its CSRF token) gone: keep it.
    await keepOnPhone(form, item, meaning === "login" ? "login" : null);
  }
  return undefined;
}

async function keepOnPhone(form, item, reason) {
  try {
    await Store.queue(userId, item);
    await store.delete("drafts", item.record_id);
  } catch (error) {
    // Locked, or never protected: nothing is stored; what was typed stays on the page.
    if (Codec.isLocked(error)) {
      showFormMessage(form, "error", (await isEnrolled())
        ? _("Ingen forbindelse, og dine data på telefonen er låst: registreringen er IKKE gemt. Det, du har skrevet, står stadig her. Lås op (på forsiden), og gem igen.")
        : _("Ingen forbindelse: registreringen er IKKE gemt på telefonen, fordi dine data på telefonen ikke er beskyttet endnu (på forsiden »I dag«). Det, du har skrevet, står stadig her."));
      return;
    }
    showFormMessage(form, "error", _("Telefonen har ikke plads til at gemme registreringen. Den er IKKE gemt – frigør plads, og prøv igen."));
    return;
  }
  setProblem(reason || "network");
  requestBackgroundSync();
  sessionStorage.setItem("opspor-flash", reason === "login"
    ? _("Gemt på telefonen – log ind igen, så sendes den.")
    : _("Gemt på telefonen – sendes når der er net."));
  await refreshStatus();
  scheduleRetry({});
  if (item.status === "draft") {
    showFormMessage(form, "ok", _("Kladden er gemt på telefonen – sendes når der er net."));
  } else {
    location.assign(item.child_id ? `/children/${item.child_id}` : "/outbox");
  }
}

setUpRows();
setUpSignatures();
if (userId) for (const form of document.querySelectorAll("form[data-record-form]")) enhanceForm(form);
