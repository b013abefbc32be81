// Signing out: nothing unsent is lost without asking twice.
import { day, Store, store, userId } from "./page.js";
import { confirmDialog } from "./ui.js";
import { _ } from "./texts.js";

export function guardLogout(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    const items = (await store.all("outbox")).map((entry) => entry.value);
    if (items.length) {
      const first = await confirmDialog(_("{count} registreringer er ikke sendt", { count: items.length }),
        [_("Hvis du logger ud nu, slettes de fra telefonen."), _("Vent hellere, til der er net, og de er sendt.")],
        _("Log ud alligevel"), _("Bliv logget ind"));
      if (!first) return;
      const fallback = _("Registrering");
      const lines = items.map((item) => `${item.type_label || item.type || fallback}${item.child_name ? ` – ${item.child_name}` : ""}, ` +
        _("gemt {when}", { when: item.saved_at ? day(item.saved_at) : "" }));
      const second = await confirmDialog(_("Disse registreringer går tabt"), lines, _("Slet dem og log ud"), _("Fortryd"));
      if (!second) return;
    }
    await Store.wipeUser(userId);
    form.dataset.confirmed = "1";
    form.submit();
  });
}
