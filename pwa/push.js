// Reminders (issue 6; reminders.html loads this module): "Slå påmindelser til" asks for
// permission only after that tap.

function setUpPush(box) {
  const status = box.querySelector("[data-push-status]");
  const enable = box.querySelector("[data-push-enable]");
  const test = box.querySelector("[data-push-test]");
  const disable = box.querySelector("[data-push-disable]");
  const timeoutMs = () => Number(box.dataset.timeoutMs || 10000);
  const say = (key) => { status.textContent = box.dataset[key] || ""; };
  const show = (on) => { enable.hidden = on; test.hidden = !on; disable.hidden = !on; };
  // pushManager calls may never settle (no push service reachable): never wait for ever.
  const withTimeout = (promise) => Promise.race([
    promise,
    new Promise((_resolve, reject) => setTimeout(() => reject(new Error("timeout")), timeoutMs())),
  ]);
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const send = (url, method, body) => fetch(url, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const keyBytes = (b64) => {
    const text = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  };
  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    say(/iPhone|iPad/.test(navigator.userAgent) ? "msgIos" : "msgUnsupported");
    enable.disabled = true;
    return;
  }
  const registration = () => withTimeout(navigator.serviceWorker.ready);
  const current = async () => withTimeout((await registration()).pushManager.getSubscription());
  // "On" only when the server has this browser's subscription for the signed-in user.
  const sha256 = async (text) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const known = (box.dataset.endpoints || "").split(" ");
  if (Notification.permission === "granted" && window.crypto && crypto.subtle) {
    current().then(async (subscription) => {
      if (subscription && known.includes(await sha256(subscription.endpoint))) { show(true); say("msgOn"); }
    }).catch(() => {});
  }
  const subscribe = async (manager, key) => {
    const options = { userVisibleOnly: true, applicationServerKey: key };
    try {
      return await withTimeout(manager.subscribe(options));
    } catch (error) {
      const old = error.message !== "timeout" && await withTimeout(manager.getSubscription());
      if (!old) throw error;
      await old.unsubscribe(); // made with another server key: start afresh
      return withTimeout(manager.subscribe(options));
    }
  };
  enable.addEventListener("click", async () => {
    enable.disabled = true;
    say("msgAsking");
    try {
      if (await Notification.requestPermission() !== "granted") { say("msgDenied"); return; }
      const answer = await fetch("/api/push/vapid-public-key", { credentials: "same-origin" });
      if (!answer.ok) throw new Error("key");
      const key = keyBytes((await answer.json()).public_key);
      const manager = (await registration()).pushManager;
      const subscription = await subscribe(manager, key);
      const saved = await send("/api/push/subscriptions", "POST", subscription.toJSON());
      if (saved.status !== 201) throw new Error("save");
      show(true);
      say("msgOn");
    } catch (error) {
      say(error && error.message === "timeout" ? "msgTimeout" : "msgError");
    } finally {
      enable.disabled = false;
    }
  });
  test.addEventListener("click", async () => {
    const answer = await send("/api/push/test", "POST").catch(() => null);
    say(answer && answer.status === 202 ? "msgTest" : "msgError");
  });
  disable.addEventListener("click", async () => {
    try {
      const subscription = await current();
      if (subscription) {
        await send("/api/push/subscriptions", "DELETE", { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      show(false);
      say("msgOff");
    } catch (_error) {
      say("msgError");
    }
  });
}

const pushBox = document.querySelector("[data-push]");
if (pushBox) setUpPush(pushBox);
