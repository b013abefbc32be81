// Opspor page script: small, no framework. OpsporStore (outbox.js) holds what is on the phone.
"use strict";
(() => {
  const metaContent = (name) => {
    const tag = document.querySelector(`meta[name="${name}"]`);
    return tag ? tag.getAttribute("content") : null;
  };
  const userId = metaContent("opspor-user");
  const csrf = metaContent("csrf-token");
  const keptAt = metaContent("opspor-kept-at");  // set when the page came from the phone's copy
  const statusBar = document.getElementById("sync-status");
  const store = userId ? OpsporStore.user(userId) : null;
  const time = (iso) => new Date(iso).toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" });
  const day = (iso) => new Date(iso).toLocaleString("da-DK", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const isIos = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;

  // --- Small things ------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    for (const menu of document.querySelectorAll("details.usermenu[open]")) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    }
  });
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  function confirmDialog(title, lines, confirmText, cancelText) {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.className = "confirm";
      const heading = document.createElement("h2");
      heading.textContent = title;
      dialog.append(heading);
      if (lines.length) {
        const list = document.createElement("ul");
        for (const line of lines) {
          const li = document.createElement("li");
          li.textContent = line;
          list.append(li);
        }
        dialog.append(list);
      }
      const actions = document.createElement("div");
      actions.className = "form-actions";
      for (const [text, value, cls] of [[cancelText, false, "button secondary"], [confirmText, true, "button danger"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = cls;
        button.textContent = text;
        button.addEventListener("click", () => { dialog.close(); dialog.remove(); resolve(value); });
        actions.append(button);
      }
      dialog.append(actions);
      dialog.addEventListener("cancel", () => { dialog.remove(); resolve(false); });
      document.body.append(dialog);
      dialog.showModal();
    });
  }

  // --- ADBB: live total while scoring, and the age at the screening date --------------------

  const monthsBetween = (birth, on) => {
    let months = (on.getFullYear() - birth.getFullYear()) * 12 + on.getMonth() - birth.getMonth();
    if (on.getDate() < birth.getDate()) months -= 1;
    return months;
  };
  function updateAdbb(form) {
    const box = form.querySelector("[data-adbb]");
    if (!box) return;
    let total = 0, scored = 0;
    for (const input of form.querySelectorAll('input[type=radio][name^="data.items."]:checked')) {
      total += Number(input.value); scored += 1;
    }
    const cutoff = Number(box.dataset.cutoff);
    const output = form.querySelector("[data-adbb-total]");
    output.textContent = `Total: ${total} af 32`;
    output.parentElement.classList.toggle("over", total >= cutoff);
    form.querySelector("[data-adbb-verdict]").textContent =
      total >= cutoff ? `Over grænsen (${cutoff})` : `${scored} af 8 scoret · grænse ${cutoff}`;
    const dateInput = form.querySelector('input[name="data.screened_on"]');
    const note = form.querySelector("[data-age-note]");
    if (dateInput && dateInput.value && note) {
      const months = monthsBetween(new Date(box.dataset.birthDate), new Date(dateInput.value));
      const outside = months < Number(box.dataset.minAge) || months > Number(box.dataset.maxAge);
      note.textContent = `Alder ved screeningen: ${months} måneder.` +
        (outside ? " Uden for 2–24 måneder: skriv en begrundelse." : "");
      note.classList.toggle("alert", outside);
      note.classList.toggle("warn", outside);
    }
  }
  // List rows (participants, agreements, trial actions): add from the <template>, remove a row.
  // Without JavaScript the form shows two blank rows instead, and a row is removed by emptying it.
  const addRowFns = new Map();  // container → function adding one more row
  for (const rows of document.querySelectorAll("[data-rows]")) {
    const list = rows.querySelector("[data-row-list]");
    const template = rows.querySelector("template[data-row-template]");
    const add = rows.querySelector("[data-add-row]");
    const nextIndex = () => {
      let max = -1;
      for (const input of list.querySelectorAll("[name]")) {
        const match = input.name.match(/^data\.\w+\.(\d+)\./);
        if (match) max = Math.max(max, Number(match[1]));
      }
      return max + 1;
    };
    for (const button of rows.querySelectorAll("[data-remove-row], [data-add-row]")) button.hidden = false;
    const addRow = () => {
      const index = nextIndex();
      const html = template.innerHTML.replaceAll("__i__", index).replaceAll("__n__", list.children.length + 1);
      list.insertAdjacentHTML("beforeend", html);
      const row = list.lastElementChild;
      row.querySelector("[data-remove-row]").hidden = false;
      return row;
    };
    addRowFns.set(rows, addRow);
    add.addEventListener("click", () => addRow().querySelector("input, textarea, select").focus());
    list.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove-row]");
      if (!button) return;
      button.closest("[data-row]").remove();
      add.focus();
    });
  }
  // A restored draft may have more rows than the blank form: add rows until its fields exist.
  function ensureRows(form, params) {
    for (const [container, addRow] of addRowFns) {
      if (!form.contains(container)) continue;
      const sample = container.querySelector("template[data-row-template]").innerHTML.match(/name="(data\.\w+)\.__i__\./);
      if (!sample) continue;
      const prefix = `${sample[1]}.`;
      const wanted = [...params.keys()].filter((name) => name.startsWith(prefix))
        .map((name) => Number(name.slice(prefix.length).split(".")[0]));
      const needed = wanted.length ? Math.max(...wanted) : -1;
      for (let guard = 0; guard < 50 && !form.querySelector(`[name^="${prefix}${needed}."]`) && needed >= 0; guard++) {
        addRow();
      }
    }
  }

  // Consent: a signature drawn on the screen (finger, pen or mouse) becomes a PNG data URL.
  const setupSignature = (box) => {
    const canvas = box.querySelector("[data-signature-pad]");
    const input = box.querySelector("[data-signature-value]");
    const status = box.querySelector("[data-signature-status]");
    const pen = canvas.getContext("2d");
    pen.lineWidth = 4; pen.lineCap = "round"; pen.lineJoin = "round";
    pen.strokeStyle = pen.fillStyle = "#1c2629";
    let last = null;
    const at = (event) => {
      const rect = canvas.getBoundingClientRect();
      return { x: (event.clientX - rect.left) * canvas.width / rect.width,
               y: (event.clientY - rect.top) * canvas.height / rect.height };
    };
    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = at(event);
      pen.beginPath(); pen.arc(last.x, last.y, 2, 0, 2 * Math.PI); pen.fill();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!last) return;
      event.preventDefault();
      const next = at(event);
      pen.beginPath(); pen.moveTo(last.x, last.y); pen.lineTo(next.x, next.y); pen.stroke();
      last = next;
    });
    const finish = () => {
      if (!last) return;
      last = null;
      input.value = canvas.toDataURL("image/png");
      status.textContent = "Underskriften er med.";
    };
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) canvas.addEventListener(name, finish);
    box.querySelector("[data-signature-clear]").addEventListener("click", () => {
      pen.clearRect(0, 0, canvas.width, canvas.height);
      input.value = "";
      status.textContent = "Underskriften er fjernet.";
    });
    if (input.value) {  // a form shown again after an error keeps the signature
      const image = new Image();
      image.addEventListener("load", () => pen.drawImage(image, 0, 0));
      image.src = input.value;
      status.textContent = "Underskriften er med.";
    }
  };
  for (const box of document.querySelectorAll("[data-signature]")) setupSignature(box);
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }


  // --- Reminders (issue 6): "Slå påmindelser til" asks for permission only after that tap. ---
  const pushBox = document.querySelector("[data-push]");
  if (pushBox) setUpPush(pushBox);

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

  // --- The status bar: always the truth about what is on the phone ------------------------

  let sending = false;
  let lastProblem = keptAt ? "network" : null;  // a kept copy means the network just failed

  async function refreshStatus() {
    if (!statusBar || !store) return;
    const items = (await store.all("outbox")).map((entry) => entry.value);
    const waiting = items.filter((item) => item.state === "pending").length;
    const toResolve = items.length - waiting;
    const lastSent = await store.get("facts", "last_sent_at");
    const needsLogin = await store.get("facts", "needs_login");
    const offline = !navigator.onLine || lastProblem === "network";
    let state, text;
    if (needsLogin && waiting) {
      state = "failed";
      text = `${waiting} venter: log ind igen for at sende dem.`;
    } else if (toResolve) {
      state = "failed";
      text = `${toResolve} kræver din handling – åbn listen.`;
    } else if (sending && waiting) {
      state = "sending";
      text = `Sender ${waiting} …`;
    } else if (waiting) {
      state = offline ? "offline" : "waiting";
      text = offline ? `Offline – ${waiting} venter på at blive sendt.` : `${waiting} venter på at blive sendt.`;
      const oldest = items.filter((i) => i.state === "pending").map((i) => i.first_saved_at).sort()[0];
      if (isIos && oldest && Date.now() - Date.parse(oldest) > 2 * 86400000) {
        text += " Åbn Opspor med net snart: iPhone kan slette data, der har ligget længe.";
      }
    } else if (offline) {
      state = "offline";
      text = keptAt ? `Offline – vist fra ${day(keptAt)}.` : "Offline.";
    } else if (lastSent) {
      state = "sent";
      text = `Alt er sendt (senest kl. ${time(lastSent)}).`;
    } else if (keptAt) {
      state = "waiting";
      text = "";
    } else {
      statusBar.textContent = "";
      statusBar.removeAttribute("data-state");
      return;
    }
    if (keptAt && !(state === "offline" && !waiting)) {
      text += ` Siden er vist fra ${day(keptAt)} – genindlæs for den nyeste.`;
    }
    statusBar.dataset.state = state;
    statusBar.textContent = "";
    const link = document.createElement("a");
    link.href = "/outbox";
    link.textContent = text;
    statusBar.append(link);
  }

  // --- Sending what waits --------------------------------------------------------------------

  let retryDelay = 5000;
  let retryTimer = null;

  async function replay() {
    if (!store || sending) return;
    sending = true;
    refreshStatus();
    let outcome;
    try {
      outcome = await OpsporStore.replay(userId, csrf, { onProgress: refreshStatus });
    } finally {
      sending = false;
    }
    if (outcome && !outcome.busy) lastProblem = outcome.stopped || null;
    if (outcome && !outcome.busy && !outcome.stopped) {
      await store.put("facts", "last_sync_at", new Date().toISOString());
    }
    await refreshStatus();
    scheduleRetry(outcome);
    if (document.getElementById("outbox-list")) renderOutbox();
    return outcome;
  }

  async function scheduleRetry(outcome) {
    clearTimeout(retryTimer);
    const waiting = (await store.all("outbox")).some((entry) => entry.value.state === "pending");
    if (!waiting || (outcome && outcome.stopped === "login")) {
      retryDelay = 5000;
      return;
    }
    retryTimer = setTimeout(replay, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 300000);
  }

  async function requestBackgroundSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("opspor-outbox");
    } catch (error) { /* not supported (Safari): the timer and app start replay instead */ }
  }

  // --- Record forms: drafts on every change, saving through the outbox -----------------------

  const formFields = (form, submitter) => {
    const data = new FormData(form, submitter);
    data.delete("csrf_token");
    return new URLSearchParams(data).toString();
  };
  const recordIdOf = (form) => form.action.split("/records/")[1];

  function describe(form) {
    return { type: form.dataset.recordType, type_label: form.dataset.typeLabel || "",
      child_id: form.dataset.childId || null, child_name: form.dataset.childName || "",
      page: location.pathname + location.search };
  }

  async function saveDraft(form) {
    const record_id = recordIdOf(form);
    try {
      await store.put("drafts", record_id, { ...describe(form), record_id, fields: formFields(form),
        saved_at: new Date().toISOString() });
    } catch (error) {
      showFormMessage(form, "error", "Kladden kunne ikke gemmes på telefonen (pladsen er brugt op). Det, du har skrevet, står stadig her.");
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

  function showFormMessage(form, kind, text) {
    let box = form.querySelector(".form-message");
    if (!box) {
      box = document.createElement("p");
      box.className = "form-message";
      box.setAttribute("role", "status");
      form.prepend(box);
    }
    box.className = `form-message alert ${kind === "error" ? "error" : kind === "ok" ? "ok" : "warn"}`;
    box.textContent = text;
    box.scrollIntoView({ block: "center" });
  }

  async function offerDraft(form) {
    const drafts = (await store.all("drafts")).map((entry) => entry.value);
    const own = drafts.find((draft) => draft.record_id === recordIdOf(form));
    const sameKind = form.dataset.new !== undefined && drafts.find((draft) =>
      draft.type === form.dataset.recordType && draft.child_id === (form.dataset.childId || null));
    const draft = own || sameKind;
    if (!draft) return;
    const box = document.createElement("div");
    box.className = "alert warn draft-offer";
    const text = document.createElement("p");
    text.textContent = `Du har en kladde på telefonen fra ${day(draft.saved_at)}.`;
    const resume = document.createElement("button");
    resume.type = "button";
    resume.className = "button";
    resume.textContent = "Fortsæt kladden";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button secondary";
    discard.textContent = "Start forfra";
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

  function setRecordId(form, recordId) {
    form.action = `/records/${recordId}`;
  }

  async function submitRecord(form, body) {
    const record_id = recordIdOf(form);
    const params = new URLSearchParams(body);
    const pending = await store.get("outbox", record_id);
    const known = await store.get("versions", record_id);
    let base = Number(params.get("base_version")) || null;
    if (known && (!base || known > base)) base = known;
    if (pending && pending.state === "pending") base = pending.base_version;
    if (base) params.set("base_version", String(base)); else params.delete("base_version");
    const item = { ...describe(form), record_id, url: `/records/${record_id}`, body: params.toString(),
      base_version: base, status: params.get("status"), saved_at: new Date().toISOString() };

    if (pending && pending.state === "pending") {
      // Something for this record already waits: this save replaces it (one write).
      return keepOnPhone(form, item);
    }
    const { status, json } = await sendNow(item);
    if (status === 200 || status === 201) {
      await store.put("versions", record_id, json.version);
      await store.delete("drafts", record_id);
      await store.put("facts", "last_sent_at", new Date().toISOString());
      location.assign(`/records/${record_id}?gemt=1`);
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
      if (base) form.querySelector('input[name="base_version"]')?.setAttribute("value", String(base));
      form.append(native);
      HTMLFormElement.prototype.submit.call(form);  // the server shows the errors, keeping what was typed
    } else if (status === 403 || status === 404) {
      showFormMessage(form, "error", (json && json.detail) || "Registreringen kunne ikke gemmes.");
    } else {
      await keepOnPhone(form, item, status === 401 ? "login" : null);
    }
  }

  async function sendNow(item) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10000);
    try {
      const response = await fetch(item.url, { method: "POST", body: item.body, credentials: "same-origin",
        signal: controller.signal, headers: { "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json", "X-CSRF-Token": csrf } });
      let json = null;
      try { json = await response.json(); } catch (error) { json = null; }
      if (response.status >= 500) return { status: 0, json };
      if (response.status === 403 && json && /Sikkerhedstjek/.test(json.detail || "")) return { status: 401, json };
      return { status: response.status, json };
    } catch (error) {
      return { status: 0, json: null };
    } finally {
      clearTimeout(timer);
    }
  }

  async function keepOnPhone(form, item, reason) {
    try {
      await OpsporStore.queue(userId, item);
      await store.delete("drafts", item.record_id);
    } catch (error) {
      showFormMessage(form, "error", "Telefonen har ikke plads til at gemme registreringen. Den er IKKE gemt – frigør plads, og prøv igen.");
      return;
    }
    lastProblem = reason || "network";
    requestBackgroundSync();
    sessionStorage.setItem("opspor-flash", reason === "login"
      ? "Gemt på telefonen – log ind igen, så sendes den."
      : "Gemt på telefonen – sendes når der er net.");
    await refreshStatus();
    scheduleRetry({});
    if (item.status === "draft") {
      showFormMessage(form, "ok", "Kladden er gemt på telefonen – sendes når der er net.");
    } else {
      location.assign(item.child_id ? `/children/${item.child_id}` : "/outbox");
    }
  }

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
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
      submitRecord(form, body).finally(() => {
        for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
      });
    });
    offerDraft(form);
  }

  // --- Signing out: nothing unsent is lost without asking twice ----------------------------

  function guardLogout(form) {
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
      await OpsporStore.wipeUser(userId);
      form.dataset.confirmed = "1";
      form.submit();
    });
  }

  // --- The outbox page -------------------------------------------------------------------------

  const STATE_TEXT = { pending: "Venter på net", conflict: "Ændret af en anden – vælg udgave",
    invalid: "Afvist af serveren – ret den", quarantined: "Beskadiget – kan ikke sendes" };

  async function renderOutbox() {
    const list = document.getElementById("outbox-list");
    const items = (await store.all("outbox")).map((entry) => entry.value);
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
      title.textContent = `${item.type_label || item.type || "Registrering"}${item.child_name ? ` – ${item.child_name}` : ""}`;
      const meta = document.createElement("span");
      meta.className = "list-meta";
      meta.textContent = `${STATE_TEXT[item.state] || item.state}${item.saved_at ? ` · gemt ${day(item.saved_at)}` : ""}`;
      li.append(title, meta);
      const errors = item.error && (item.error.errors || []).map((e) => e.message).concat(
        item.error.detail ? [item.error.detail] : []);
      if (errors && errors.length) {
        const why = document.createElement("span");
        why.className = "field-error";
        why.textContent = errors.join(" ");
        li.append(why);
      }
      const actions = document.createElement("span");
      actions.className = "outbox-actions";
      if (item.state === "conflict" && item.error && item.error.conflict_id) {
        actions.append(link(`/conflicts/${item.error.conflict_id}`, "Se begge udgaver"));
      }
      if (item.state === "invalid" && item.page) actions.append(link(item.page, "Ret"));
      if (item.state !== "pending") {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button secondary";
        remove.textContent = "Fjern fra telefonen";
        remove.addEventListener("click", async () => {
          if (await confirmDialog("Fjern registreringen fra telefonen?", [title.textContent], "Fjern", "Fortryd")) {
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

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    a.className = "button secondary";
    return a;
  }

  // --- Keeping pages for offline use -----------------------------------------------------------

  async function downloadForOffline(button) {
    const status = button.parentElement.querySelector("[data-download-status]");
    if (isIos && !standalone) {
      status.textContent = "Føj først Opspor til hjemmeskærmen (Del → Føj til hjemmeskærm) og åbn appen derfra. Ellers kan iPhone slette det, der er gemt.";
      return;
    }
    button.disabled = true;
    try {
      const manifest = await (await fetch("/api/offline/manifest", { credentials: "same-origin" })).json();
      let done = 0;
      for (const url of manifest.urls) {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok && response.headers.get("X-Opspor-User") === userId) {
          await OpsporStore.storePage(userId, url, response);
        }
        done += 1;
        status.textContent = `Henter … ${done} af ${manifest.urls.length}`;
      }
      await store.put("facts", "offline_enabled", true);
      await store.put("facts", "last_sync_at", new Date().toISOString());
      status.textContent = `Klar til brug uden net: ${manifest.children} børn (${done} sider).`;
    } catch (error) {
      status.textContent = "Hentningen blev afbrudt. Prøv igen, når der er net.";
    } finally {
      button.disabled = false;
    }
  }

  // Children who left the user's scope are deleted from the phone; so is everything kept
  // longer than the municipality's offline lifetime without a successful sync.
  async function syncScope() {
    try {
      const response = await fetch("/api/sync/scope", { credentials: "same-origin" });
      if (!response.ok) return;
      const scope = await response.json();
      await OpsporStore.purgePages(userId, scope.children, null);
      await store.put("facts", "offline_days", scope.offline_days);
      await store.put("facts", "last_sync_at", new Date().toISOString());
    } catch (error) { /* offline: try again next time */ }
  }

  async function expireOldCopies() {
    const lastSync = await store.get("facts", "last_sync_at");
    const days = (await store.get("facts", "offline_days")) || 7;
    if (lastSync && Date.now() - Date.parse(lastSync) > days * 86400000) {
      await OpsporStore.purgePages(userId, null, days);
    }
  }

  // --- Installing and updating ---------------------------------------------------------------

  function offerInstall() {
    const slot = document.querySelector("[data-install]");
    if (!slot || standalone) return;
    if (isIos) {
      slot.hidden = false;
      slot.querySelector("[data-install-text]").textContent =
        "Føj Opspor til hjemmeskærmen: tryk på Del og derefter “Føj til hjemmeskærm”.";
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

  function watchForUpdates(registration) {
    const announce = (worker) => {
      const bar = document.createElement("div");
      bar.className = "update-bar";
      bar.setAttribute("role", "status");
      bar.textContent = "En ny version af Opspor er klar. ";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = "Opdatér";
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

  // --- Start ------------------------------------------------------------------------------------

  async function start() {
    if (metaContent("opspor-page") === "login") {
      try { await OpsporStore.meta.set({ userId: null, csrf: null }); } catch (error) { /* no storage */ }
    }
    if (!userId) return;
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchForUpdates).catch(() => {});
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.type === "outbox-replayed") {
          lastProblem = (event.data.outcome && event.data.outcome.stopped) || null;
          refreshStatus();
          if (document.getElementById("outbox-list")) renderOutbox();
        }
      });
    }
    await OpsporStore.meta.set({ userId, csrf });
    const flash = sessionStorage.getItem("opspor-flash");
    if (flash) {
      sessionStorage.removeItem("opspor-flash");
      const main = document.getElementById("main");
      const note = document.createElement("p");
      note.className = "alert ok";
      note.setAttribute("role", "status");
      note.textContent = flash;
      main.prepend(note);
    }
    for (const form of document.querySelectorAll("form[data-record-form]")) enhanceForm(form);
    for (const form of document.querySelectorAll("form[data-logout]")) guardLogout(form);
    for (const button of document.querySelectorAll("[data-download-offline]")) {
      button.addEventListener("click", () => downloadForOffline(button));
    }
    const retry = document.querySelector("[data-retry-now]");
    if (retry) retry.addEventListener("click", () => { retryDelay = 5000; replay(); });
    if (document.getElementById("outbox-list")) renderOutbox();
    offerInstall();
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    window.addEventListener("online", () => {
      lastProblem = null;
      retryDelay = 5000;
      replay();
    });
    window.addEventListener("offline", refreshStatus);
    document.body.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.successful) replay();
    });
    await refreshStatus();
    if (!keptAt) {
      // This page came from the server: the network works, so send what waits and re-check scope.
      await replay();
      await syncScope();
    } else {
      await expireOldCopies();
      scheduleRetry({});
    }
  }

  start();
})();
