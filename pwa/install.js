// Installing (the hint on the caseload) and updating (a waiting service worker, on the user's tap).
import { isIos, standalone } from "./page.js";
import { _ } from "./texts.js";

export function offerInstall() {
  const slot = document.querySelector("[data-install]");
  if (!slot || standalone) return;
  if (isIos) {
    slot.hidden = false;
    slot.querySelector("[data-install-text]").textContent =
      _("Føj Opspor til hjemmeskærmen: tryk på Del og derefter “Føj til hjemmeskærm”.");
    return;
  }
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    slot.hidden = false;
    const button = slot.querySelector("button");
    button.hidden = false;
    button.addEventListener("click", () => event.prompt(), { once: true });
  });
}

let updateRequested = false;

export function watchForUpdates(registration) {
  const announce = (worker) => {
    const bar = document.createElement("div");
    bar.className = "update-bar";
    bar.setAttribute("role", "status");
    bar.textContent = _("En ny version af Opspor er klar.") + " ";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = _("Opdatér");
    button.addEventListener("click", () => {
      updateRequested = true;
      worker.postMessage({ type: "activate-update" });
    });
    bar.append(button);
    document.body.append(bar);
  };
  if (registration.waiting && navigator.serviceWorker.controller) announce(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) announce(worker);
    });
  });
  // The first worker takes control quietly; an update the user accepted reloads the page.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updateRequested) {
      updateRequested = false;
      location.reload();
    }
  });
}
