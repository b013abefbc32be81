// The screens of the lock (vault.js): "Beskyt dine data på telefonen" on "I dag" and "Lås op".
import { Crypto, Store, userId } from "./page.js";
import { enrol, isEnrolled, texts, unlockWithPasskey, unlockWithPin, vaultOf } from "./vault.js";
import { _ } from "./texts.js";

const PIN = /^[0-9]{6,12}$/;
const canPasskey = () => typeof window.PublicKeyCredential === "function" && window.isSecureContext;

async function setUpEnrol(section) {
  const form = section.querySelector("form");
  const status = section.querySelector("[data-vault-status]");
  const done = () => {
    form.hidden = true;
    status.textContent = _("Dine data på telefonen er beskyttet. Appen låser sig selv, når den ikke bruges.");
  };
  // Shown once it is known which it is: the form never flashes up on a protected phone.
  const enrolled = await isEnrolled();
  section.hidden = false;
  if (enrolled) {
    done();
    if (!Crypto.held(userId)) {
      status.textContent = _("Dine data på telefonen er låst.") + " ";
      const link = document.createElement("a");
      link.href = "/unlock?next=/";
      link.textContent = _("Lås op");
      status.append(link);
    }
    return;
  }
  const passkeyButton = form.querySelector("[data-vault-passkey]");
  passkeyButton.hidden = !canPasskey();
  const run = async (withPasskey) => {
    const pin = form.elements.pin.value.trim();
    const again = form.elements.pin_again.value.trim();
    if ((pin || !withPasskey) && !PIN.test(pin)) {
      status.textContent = _("PIN: skriv mindst 6 cifre (kun tal).");
      form.elements.pin.focus();
      return;
    }
    if (pin && pin !== again) {
      status.textContent = _("Gentag PIN: de to PIN-koder er ikke ens.");
      form.elements.pin_again.focus();
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    status.textContent = _("Beskytter …");
    try {
      await enrol({ pin: pin || null, passkey: withPasskey, label: section.dataset.label || "Opspor" });
      done();
    } catch (error) {
      status.textContent = withPasskey
        ? _("Adgangsnøglen kunne ikke bruges til at låse data op på denne telefon. Brug en PIN.")
        : _("Beskyttelsen kunne ikke gemmes på telefonen.");
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); run(false); });
  passkeyButton.addEventListener("click", () => run(true));
}

function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  if (location.pathname !== "/unlock") return location.pathname + location.search;
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

async function setUpUnlock(section) {
  const { userId: who, csrf } = await Store.currentUser();
  const record = await vaultOf(who);
  const form = section.querySelector("form");
  const status = section.querySelector("[data-vault-status]");
  const passkeyButton = section.querySelector("[data-vault-passkey]");
  if (!record) {
    form.hidden = true;
    passkeyButton.hidden = true;
    section.querySelector("[data-vault-none]").hidden = false;
    return;
  }
  form.hidden = !record.pin;
  passkeyButton.hidden = !record.passkey;
  // Locked, the writes that wait still go out, sealed to the server (the phone cannot read them).
  const send = () => Store.replay(who, csrf).catch(() => null);
  if (navigator.onLine) send();
  addEventListener("online", send);
  setInterval(() => navigator.onLine && send(), 10000);
  const opened = () => location.replace(nextPage());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.textContent = _("Låser op …");
    const result = await unlockWithPin(who, form.elements.pin.value.trim());
    button.disabled = false;
    form.elements.pin.value = "";
    if (result.ok) { opened(); return; }
    if (result.wiped !== undefined) {
      form.hidden = true;
      passkeyButton.hidden = true;
      status.textContent = texts.wiped(result.wiped);
      if (result.wiped && navigator.onLine) send();  // sealed: sendable as they are
      return;
    }
    status.textContent = texts.wrong(result.left);
    form.elements.pin.focus();
  });
  passkeyButton.addEventListener("click", async () => {
    try {
      await unlockWithPasskey(who);
      opened();
    } catch (error) {
      status.textContent = _("Adgangsnøglen kunne ikke låse op. Prøv igen, eller brug din PIN.");
    }
  });
  (form.hidden ? passkeyButton : form.elements.pin).focus();
}

export function setUpVaultScreens() {
  const enrolSection = userId && document.querySelector("[data-vault-enrol]");
  if (enrolSection) setUpEnrol(enrolSection);
  const unlockSection = document.querySelector("[data-vault-unlock]");
  if (unlockSection) setUpUnlock(unlockSection);
}
