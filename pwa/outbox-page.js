// The outbox page (/outbox; outbox.html loads this module): what waits and why, and the drafts
// on the phone.
import { day, store, userId } from "./page.js";
import { OUTBOX_CHANGED, refreshStatus } from "./status.js";
import { confirmDialog, link } from "./ui.js";
import { _ } from "./texts.js";

const STATE_TEXT = { pending: _("Venter på net"), conflict: _("Ændret af en anden – vælg udgave"),
  invalid: _("Afvist af serveren – ret den"), quarantined: _("Beskadiget – kan ikke sendes"),
  kept: _("Sendt til lederen – barnet er ikke længere i din enhed") };

// Who received a write kept for the leader (202): "Modtaget af <leader>, <unit>."
const receiver = (keptFor) => {
  if (!keptFor) return "";
  const who = [keptFor.leader, keptFor.unit].filter(Boolean).join(", ");
  return who ? _("Modtaget af {who}.", { who }) : "";
};

async function renderOutbox() {
  const list = document.getElementById("outbox-list");
  // Locked: the sealed writes cannot be read here (they are still sent).
  const items = (await store.all("outbox")).map((entry) => entry.value).filter((item) => !item.locked);
  list.textContent = "";
  if (!items.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = list.dataset.emptyText;
    list.append(empty);
  }
  const ul = document.createElement("ul");
  ul.className = "list outbox-items";
  for (const item of items) {
    const li = document.createElement("li");
    li.className = `list-item outbox-item ${item.state}`;
    const title = document.createElement("span");
    title.className = "list-title";
    const label = item.type_label || item.type || _("Registrering");
    title.textContent = `${label}${item.child_name ? ` – ${item.child_name}` : ""}`;
    const meta = document.createElement("span");
    meta.className = "list-meta";
    meta.textContent = `${STATE_TEXT[item.state] || item.state}${item.saved_at ? ` · gemt ${day(item.saved_at)}` : ""}`;
    li.append(title, meta);
    const errors = item.state === "kept" ? [receiver(item.kept_for)].filter(Boolean)
      : item.error && (item.error.errors || []).map((e) => e.message).concat(
        item.error.detail ? [item.error.detail] : []);
    if (errors && errors.length) {
      const why = document.createElement("span");
      why.className = item.state === "kept" ? "list-meta kept-for" : "field-error";
      why.textContent = errors.join(" ");
      li.append(why);
    }
    const actions = document.createElement("span");
    actions.className = "outbox-actions";
    if (item.state === "conflict" && item.error && item.error.conflict_id) {
      actions.append(link(`/conflicts/${item.error.conflict_id}`, _("Se begge udgaver")));
    }
    if (item.state === "invalid" && item.page) {
      actions.append(link(`${item.page.split("#")[0]}#ret=${item.record_id}`, _("Ret")));
    }
    if (item.state === "kept") {
      const seen = document.createElement("button");
      seen.type = "button";
      seen.className = "button secondary";
      seen.textContent = _("Forstået");
      seen.addEventListener("click", async () => {
        await store.delete("outbox", item.record_id);
        renderOutbox();
        refreshStatus();
      });
      actions.append(seen);
    } else if (item.state !== "pending") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button secondary";
      remove.textContent = _("Fjern fra telefonen");
      remove.addEventListener("click", async () => {
        if (await confirmDialog(_("Fjern registreringen fra telefonen?"), [title.textContent], _("Fjern"), _("Fortryd"))) {
          if (item.state === "invalid" && item.body) {
            await store.put("drafts", item.record_id, { ...item, fields: item.body, saved_at: item.saved_at });
          }
          await store.delete("outbox", item.record_id);
          renderOutbox();
          refreshStatus();
        }
      });
      actions.append(remove);
    }
    li.append(actions);
    ul.append(li);
  }
  if (items.length) list.append(ul);
  const drafts = (await store.all("drafts")).map((entry) => entry.value);
  const draftList = document.getElementById("drafts-list");
  draftList.textContent = "";
  if (!drafts.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = draftList.dataset.emptyText;
    draftList.append(empty);
  }
  for (const draft of drafts) {
    const p = document.createElement("p");
    p.append(link(draft.page || "/", `${draft.type_label || draft.type}${draft.child_name ? ` – ${draft.child_name}` : ""}`));
    p.append(` · ${day(draft.saved_at)}`);
    draftList.append(p);
  }
}

// Shown again whenever a replay (here or in the service worker) changed the outbox.
if (userId && document.getElementById("outbox-list")) {
  renderOutbox();
  document.addEventListener(OUTBOX_CHANGED, () => renderOutbox());
}
