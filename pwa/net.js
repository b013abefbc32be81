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

  const BATCH = 200;  // the server's limit per POST /api/sync
  const IN_FLIGHT = 2;  // batches on the wire at once

  // The wire: batches of at most 200 envelopes to POST /api/sync, IN_FLIGHT at a time, with the
  // offline reads in the first. Every result is handled on its own: 200/201 leave the outbox;
  // 202 stays as "kept" (sent to the leader) until the author acknowledges it; 409/422 and the
  // other refusals wait for the author; a server error on one item leaves it to retry. False
  // when the round must stop (no network, the session gone).
  async function syncRound(store, csrf, ctx, items, timeoutMs, onProgress, outcome) {
    const reads = await OpsporCodec.sendableReads(ctx, (await store.get("facts", "offline_reads")) || []);
    if (!items.length && !reads.length) return true;
    const batches = [];
    for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
    if (!batches.length) batches.push([]);
    const since = await store.get("facts", "sync_since");
    let next = 0;
    let ok = true;
    const send = async () => {
      while (ok && next < batches.length) {
        const index = next;
        next += 1;
        const batch = batches[index];
        if (batch.length) onProgress(batch[0]);
        // A write whose answer was lost and that was saved again meanwhile goes first (a replay
        // if it landed), so the newer write updates the version it made, never conflicts with it.
        // Sealed envelopes (to the server's key) when the item has them: always so while locked.
        const owners = batch.flatMap((item) => (OpsporCodec.wire(item).length === 2 ? [null, item] : [item]));
        const payload = { items: batch.flatMap(OpsporCodec.wire), reads: index === 0 ? reads.map((read) => read.wire) : [] };
        if (since) payload.since = since;
        const answer = await postJson("/api/sync", payload, csrf, { timeoutMs: Math.max(timeoutMs, 30000) });
        if (answer.status !== 200 || !answer.json || !Array.isArray(answer.json.results)) {
          const meaning = classify(answer);
          ok = false;
          outcome.stopped = meaning === "login" ? "login" : "network";
          outcome.needsLogin = meaning === "login";
          outcome.unreachable = answer.status === 0;  // no answer at all (sync.js then probes)
          const now = new Date().toISOString();
          // No answer: the write may have landed. Should the author save the record again, the
          // newer write goes after this one (`unanswered`, see queue() in outbox.js).
          await store.batch(batch.flatMap((item) => [["put", "outbox", item.record_id,
            { ...item, attempts: (item.attempts || 0) + 1, last_try_at: now,
              ...(item.locked ? {} : { unanswered: answer.status === 0 ? item.unconfirmed || item.envelope : item.unanswered }) }],
          ...(item.locked ? [] : [["unconfirmed", "outbox", item.record_id, item.unconfirmed || item.envelope]])]),
          new Map(batch.map((item) => [item.record_id, item])));
          return;
        }
        if (index === 0 && reads.length) {
          const sent = new Set(reads.map((read) => JSON.stringify(read.entry)));
          const left = ((await store.get("facts", "offline_reads")) || [])
            .filter((read) => !sent.has(JSON.stringify(read)));
          await store.put("facts", "offline_reads", left);
        }
        if (answer.json.server_time) await store.put("facts", "sync_since", answer.json.server_time);
        if (Array.isArray(answer.json.removed_child_ids)) outcome.removed.push(...answer.json.removed_child_ids);
        const byId = new Map(batch.map((item) => [item.record_id, item]));
        const ops = [];
        answer.json.results.forEach((result, at) => {
          const item = owners[at];  // the results answer the items in order
          // A sealed item's result names it once the server opened it; locked, its place alone does.
          const named = result && (result.id === item?.record_id || (item && (item.locked || (!result.id && item.sealed_wire))));
          if (item && named) outcome.sent += settle(ops, item, result, outcome);
        });
        await store.batch(ops, byId);  // the whole batch's outcome in one transaction
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, send));
    return ok;
  }

  // One item's result, as writes to the phone's stores (`ops`); 1 when it left the outbox or
  // went to the leader.
  function settle(ops, item, result, outcome) {
    const { status } = result;
    const now = new Date().toISOString();
    if (status === 200 || status === 201) {
      ops.push(["delete", "outbox", item.record_id], ["delete", "drafts", item.record_id],
        ["put", "facts", "last_sent_at", now]);
      if (result.record && result.record.version) {
        // Saved again while this batch was on the wire: the newer write updates this version.
        ops.push(["put", "versions", item.record_id, result.record.version],
          ["rebase", "outbox", item.record_id, result.record.version]);
      }
      return 1;
    }
    if (status === 202) {
      ops.push(["put", "outbox", item.record_id, { ...item, state: "kept", status, kept_for: result.kept_for || null,
        error: { detail: result.detail || null }, kept_at: now }],
      ["delete", "drafts", item.record_id], ["put", "facts", "last_sent_at", now]);
      return 1;
    }
    if ([400, 403, 404, 409, 413, 422].includes(status)) {
      ops.push(["put", "outbox", item.record_id, { ...item, state: status === 409 ? "conflict" : "invalid",
        status, error: result, attempts: (item.attempts || 0) + 1 }]);
      return 0;
    }
    // A server error on this item alone: it stays and is tried again.
    ops.push(["put", "outbox", item.record_id, { ...item, attempts: (item.attempts || 0) + 1, last_try_at: now }]);
    outcome.stopped = outcome.stopped || "network";
    return 0;
  }

  return { CSRF, postForm, postJson, isCsrfFailure, classify, syncRound };
})();
