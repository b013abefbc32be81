// What every module needs to know about the page it runs on: who is signed in, the CSRF token,
// whether the page is the phone's kept copy, and how to write times in the page's language. Also the code the
// page shares with the service worker: net.js (the one fetch/classify) and outbox.js (the phone's
// storage and the outbox replay) are "dual" scripts that define a global (see net.js); here they
// become ES module exports.
import "./net.js";
import "./crypto.js";
import "./codec.js";
import "./outbox.js";
import "./phone.js";
import "./seal.js";
import { locale } from "./texts.js";

export const Net = globalThis.OpsporNet;
export const Store = globalThis.OpsporStore;
export const Crypto = globalThis.OpsporCrypto;
export const Codec = globalThis.OpsporCodec;
export const Seal = globalThis.OpsporSeal;

export const metaContent = (name) => {
  const tag = document.querySelector(`meta[name="${name}"]`);
  return tag ? tag.getAttribute("content") : null;
};

export const userId = metaContent("opspor-user");
export const csrf = metaContent("csrf-token");
export const keptAt = metaContent("opspor-kept-at");  // set when the page came from the phone's copy
export const store = userId ? Store.user(userId) : null;

// The data keys of an unlocked user are in the service worker's memory: a new page asks for
// them (vault.js has the rest: unlocking, locking, handing them over).
export function keysFromWorker(forUser) {
  if (!("serviceWorker" in navigator) || !forUser) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 8000);  // the worker answers at once, unless the phone is very busy
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      if (event.data && event.data.keys) Crypto.hold(forUser, event.data.keys);
      resolve(event.data && event.data.keys);
    };
    const ask = (worker) => worker && worker.postMessage({ type: "keys?", userId: forUser }, [channel.port2]);
    if (navigator.serviceWorker.controller) ask(navigator.serviceWorker.controller);
    else navigator.serviceWorker.getRegistration().then((registration) => (registration && registration.active ? ask(registration.active) : resolve(null)), () => resolve(null));
  });
}
if (userId) Crypto.whenReady(keysFromWorker(userId));

export const isIos = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
  (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
export const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;

export const time = (iso) => new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
export const day = (iso) => new Date(iso).toLocaleString(locale(), { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
