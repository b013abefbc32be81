// The one way Opspor's client sends a write and reads the answer, shared by the page and the
// service worker.
//
// This file is a "dual" script: no `import` or `export`, so the service worker (a classic
// worker, see service_worker/sw.js) loads it with importScripts() and the page's ES modules load
// it with `import "./net.js"` (see pwa/shared.js). Either way it defines `OpsporNet` on the
// global object. Service workers that are ES modules are not available in every browser Opspor
// supports, so the worker stays classic and the code both sides need lives in dual scripts.
"use strict";

globalThis.OpsporNet = (() => {
  // The server marks a refused CSRF check with this code, in the JSON body ({"code": "csrf"})
  // and in the X-Opspor-Error header; the client never reads the (translatable) text.
  const CSRF = "csrf";

  // POST a form body; the answer is {status, json, code}. status 0 means no answer: no network,
  // a timeout or a dead server.
  async function postForm(url, body, csrf, { timeoutMs = 15000, replay = false } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const headers = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json",
      "X-CSRF-Token": csrf || "" };
    if (replay) headers["X-Opspor-Replay"] = "1";
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
        signal: controller.signal, headers });
      let json = null;
      try { json = await response.json(); } catch (error) { json = null; }
      const code = (json && typeof json.code === "string" && json.code)
        || response.headers.get("X-Opspor-Error") || null;
      return { status: response.status, json, code };
    } catch (error) {
      return { status: 0, json: null, code: null };
    } finally {
      clearTimeout(timer);
    }
  }

  // POST a JSON body (the sync wire); the answer as postForm's.
  async function postJson(url, payload, csrf, { timeoutMs = 30000 } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(url, { method: "POST", body: JSON.stringify(payload), credentials: "same-origin",
        signal: controller.signal,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf || "" } });
      let json = null;
      try { json = await response.json(); } catch (error) { json = null; }
      const code = (json && typeof json.code === "string" && json.code)
        || response.headers.get("X-Opspor-Error") || null;
      return { status: response.status, json, code };
    } catch (error) {
      return { status: 0, json: null, code: null };
    } finally {
      clearTimeout(timer);
    }
  }

  // A refused CSRF check: the session's token changed (signed in again elsewhere, or the page
  // is older than the session). Recognised by status and code only.
  const isCsrfFailure = ({ status, code }) => status === 403 && code === CSRF;

  // What a server answer means for a write:
  //   "sent"    stored (200/201), or kept server-side for the unit leader (202);
  //   "login"   the session is gone or its CSRF token is stale: keep the write, sign in again;
  //   "resolve" the server refused this write (400/403/404/409/413/422): the user must act;
  //   "retry"   no answer or the server failing (5xx, anything else): try again later.
  function classify(answer) {
    const { status } = answer;
    if (status === 200 || status === 201 || status === 202) return "sent";
    if (status === 401 || isCsrfFailure(answer)) return "login";
    if ([400, 403, 404, 409, 413, 422].includes(status)) return "resolve";
    return "retry";
  }

  return { CSRF, postForm, postJson, isCsrfFailure, classify };
})();
