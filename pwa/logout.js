// Signing out: nothing unsent is lost without asking twice.
import { day, Store, store, userId } from "./page.js";
import { confirmDialog } from "./ui.js";

export function guardLogout(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    const items = (await store.all("outbox")).map((entry) => entry.value);
    if (items.length) {
      const first = await confirmDialog(`${items.length} registreringer er ikke sendt`,
        ["Hvis du logger ud nu, slettes de fra telefonen.", "Vent hellere, til der er net, og de er sendt."],
        "Log ud alligevel", "Bliv logget ind");
      if (!first) return;
      const lines = items.map((item) => `${item.type_label || item.type || "Registrering"}` +
        `${item.child_name ? ` – ${item.child_name}` : ""}, gemt ${item.saved_at ? day(item.saved_at) : ""}`);
      const second = await confirmDialog("Disse registreringer går tabt", lines, "Slet dem og log ud", "Fortryd");
      if (!second) return;
    }
    await Store.wipeUser(userId);
    form.dataset.confirmed = "1";
    form.submit();
  });
}
