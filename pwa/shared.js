// The dual scripts the service worker shares with the page (see net.js), as ES module exports.
import "./net.js";
import "./outbox.js";

export const Net = globalThis.OpsporNet;
export const Store = globalThis.OpsporStore;
