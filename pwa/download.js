// Keeping pages for offline use: "Hent til offline" on the front page (today.html loads this module).
import { keepChanged } from "./keep.js";
import { isEnrolled } from "./vault.js";
import { Crypto, isIos, standalone, store, userId } from "./page.js";
import { _ } from "./texts.js";

async function downloadForOffline(button) {
  const status = button.parentElement.querySelector("[data-download-status]");
  if (isIos && !standalone) {
    status.textContent = _("Føj først Opspor til hjemmeskærmen (Del → Føj til hjemmeskærm) og åbn appen derfra. Ellers kan iPhone slette det, der er gemt.");
    return;
  }
  // Nothing is kept on the phone before the user's data there is protected (issue 20).
  if (!(await isEnrolled()) || !(await Crypto.ready(userId))) {
    status.textContent = (await isEnrolled()) ? _("Lås først dine data på telefonen op.")
      : _("Beskyt først dine data på telefonen (ovenfor).");
    document.getElementById("vault-pin")?.focus();
    return;
  }
  button.disabled = true;
  try {
    const { manifest } = await keepChanged({ onPage: (done, total) => {
      status.textContent = _("Henter … {done} af {total}", { done, total });
    } });
    await store.put("facts", "offline_enabled", true);
    await store.put("facts", "last_sync_at", new Date().toISOString());
    status.textContent = _("Klar til brug uden net: {children} børn ({done} sider).", { children: manifest.children, done: manifest.urls.length });
  } catch (error) {
    status.textContent = _("Hentningen blev afbrudt. Prøv igen, når der er net.");
  } finally {
    button.disabled = false;
  }
}

if (userId) {
  for (const button of document.querySelectorAll("[data-download-offline]")) {
    button.addEventListener("click", () => downloadForOffline(button));
  }
}
