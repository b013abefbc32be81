// Drafts: every record form autosaves to the phone and offers _("Fortsæt kladden") after a reload.
import { updateAdbb } from "./adbb.js";
import { Codec, Crypto, day, store, userId } from "./page.js";
import { ensureRows } from "./rows.js";
import { showFormMessage } from "./ui.js";
import { _ } from "./texts.js";

export const formFields = (form, submitter) => {
  const data = new FormData(form, submitter);
  data.delete("csrf_token");
  return new URLSearchParams(data).toString();
};
export const recordIdOf = (form) => form.action.split("/records/")[1];
export const setRecordId = (form, recordId) => { form.action = `/records/${recordId}`; };

export function describe(form) {
  return { type: form.dataset.recordType, type_label: form.dataset.typeLabel || "",
    child_id: form.dataset.childId || null, child_name: form.dataset.childName || "",
    page: location.pathname + location.search };
}

export async function saveDraft(form) {
  const record_id = recordIdOf(form);
  try {
    await store.put("drafts", record_id, { ...describe(form), record_id, fields: formFields(form),
      saved_at: new Date().toISOString() });
  } catch (error) {
    if (Codec.isLocked(error)) return;  // locked or not protected: no drafts are kept on the phone
    showFormMessage(form, "error", _("Kladden kunne ikke gemmes på telefonen (pladsen er brugt op). Det, du har skrevet, står stadig her."));
  }
}

function fillForm(form, fields) {
  const params = new URLSearchParams(fields);
  ensureRows(form, params);
  for (const element of form.elements) {
    if (!element.name || element.name === "csrf_token" || element.type === "submit") continue;
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = params.getAll(element.name).includes(element.value);
    } else if (params.has(element.name) && element.type !== "hidden") {
      element.value = params.get(element.name);
    }
  }
}

export async function offerDraft(form) {
  const drafts = (await store.all("drafts")).map((entry) => entry.value);
  const own = drafts.find((draft) => draft.record_id === recordIdOf(form));
  const sameKind = form.dataset.new !== undefined && drafts.find((draft) =>
    draft.type === form.dataset.recordType && draft.child_id === (form.dataset.childId || null));
  const draft = own || sameKind;
  if (!draft) return;
  // The server showed this form again with its errors: it holds what was typed, so there is
  // nothing to resume (issue 17); the same goes for a draft that says what the form says.
  if (document.getElementById("error-summary") || draft.fields === formFields(form)) return;
  const box = document.createElement("div");
  box.className = "alert warn draft-offer";
  const text = document.createElement("p");
  text.textContent = _("Du har en kladde på telefonen fra {when}.", { when: day(draft.saved_at) });
  const resume = document.createElement("button");
  resume.type = "button";
  resume.className = "button";
  resume.textContent = _("Fortsæt kladden");
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "button secondary";
  discard.textContent = _("Start forfra");
  resume.addEventListener("click", () => {
    if (draft.record_id !== recordIdOf(form)) setRecordId(form, draft.record_id);
    fillForm(form, draft.fields);
    updateAdbb(form);
    box.remove();
  });
  discard.addEventListener("click", async () => {
    await store.delete("drafts", draft.record_id);
    box.remove();
  });
  box.append(text, resume, discard);
  form.prepend(box);
}

// "Ret" on /outbox (`#ret=<record id>`): the form filled with the author's own entries from the
// queued write the server refused, the server's field errors next to the fields. The form takes
// the queued record's id, so saving replaces that item (one pending write per record).
export async function openForFix(form) {
  const match = location.hash.match(/^#ret=([0-9a-f-]{36})$/);
  if (!match) return false;
  const item = await store.get("outbox", match[1]);
  if (!item || item.state !== "invalid" || item.type !== form.dataset.recordType) return false;
  setRecordId(form, item.record_id);
  fillForm(form, item.body);
  updateAdbb(form);
  const errors = (item.error && item.error.errors) || [];
  for (const error of errors) {
    const named = form.elements.namedItem(error.field) || form.elements.namedItem(`data.${error.field}`);
    const element = named && typeof named.length === "number" && !named.tagName ? named[0] : named;
    if (!element) continue;
    const message = document.createElement("p");
    message.className = "field-error";
    message.id = `${element.name.replace(/[^a-zA-Z0-9_-]/g, "-")}-phone-error`;
    message.textContent = error.message;
    element.setAttribute("aria-invalid", "true");
    element.setAttribute("aria-describedby", message.id);
    element.after(message);
  }
  showFormMessage(form, "error", (item.error && item.error.detail) || _("Ret de markerede felter, og gem igen."));
  return true;
}

// A look elsewhere and back ("Læs beskrivelsen" on the consent form, issue 17 §10): a link marked
// `data-peek` keeps what the form holds for this tab; coming back to the same page refills it.
// What is kept names a child and a record, so it is kept only as the user's AES-GCM box (issue 20),
// readable only while unlocked; with no key held (not protected, locked) nothing is kept.
const PEEK = "opspor-peek";
const plainClick = (event) => event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;

export function keepOnPeek(form) {
  // Back from the peek through the back/forward cache: the form is as it was, the box unneeded.
  addEventListener("pageshow", (event) => { if (event.persisted) sessionStorage.removeItem(PEEK); });
  for (const link of form.ownerDocument.querySelectorAll("a[data-peek]")) {
    link.addEventListener("click", (event) => {
      sessionStorage.removeItem(PEEK);
      const keys = userId && Crypto.held(userId);
      if (!keys || event.defaultPrevented || !plainClick(event)) return;
      // Encrypting takes a moment: the page leaves once the box is kept.
      event.preventDefault();
      const kept = { page: location.pathname + location.search, record_id: recordIdOf(form), fields: formFields(form) };
      Crypto.box(keys.aes, kept)
        .then((box) => sessionStorage.setItem(PEEK, JSON.stringify({ box })))
        .catch(() => null)
        .finally(() => location.assign(link.href));
    });
  }
}

export async function resumePeek(form) {
  const raw = sessionStorage.getItem(PEEK);
  if (!raw) return false;
  sessionStorage.removeItem(PEEK);
  const keys = userId ? await Crypto.ready(userId) : null;
  if (!keys) return false;  // locked meanwhile: the form shows empty
  let kept;
  try { kept = await Crypto.open(keys.aes, JSON.parse(raw).box); } catch (error) { return false; }
  if (!kept || kept.page !== location.pathname + location.search) return false;
  if (kept.record_id && kept.record_id !== recordIdOf(form)) setRecordId(form, kept.record_id);
  fillForm(form, kept.fields);
  return true;
}
