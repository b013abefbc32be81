// A filled-in record form → the contract's JSON envelope for `POST /api/sync` (contract.md,
// "Sync"): {id, schema, type, child_id, unit_id, base_version, status, data}. It mirrors how the
// server parses the same form (backend/records/forms.py: `unflatten` and `form_to_body`), so the
// form post and the queued envelope mean the same record:
//   - inputs are named by their place in the body (`data.items.eye_contact`,
//     `data.agreements.0.what`); an empty input means "not filled in" (null);
//   - keys 0, 1, 2 … become lists, and list rows left completely empty are dropped (a row's
//     `done` box or hidden `key` alone does not fill it);
//   - a repeated name becomes a list of its values; the kind's checkbox fields (the form's
//     data-bool-fields, from the registry) are true when ticked, else false.
// The schema number is the form's data-schema (the registry's schema_version): an item keeps
// the layout it was written in, and the server upgrades older ones.
const ROW_MARKERS = new Set(["done", "key"]);
const isDigits = (text) => /^[0-9]+$/.test(text);

function place(tree, parts, value) {
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    if (!Object.hasOwn(node, part) || node[part] === null || typeof node[part] !== "object"
        || Array.isArray(node[part])) node[part] = {};
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (Object.hasOwn(node, last) && value !== null) {
    const existing = node[last];
    node[last] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  } else if (!Object.hasOwn(node, last) || node[last] === null) {
    node[last] = value;
  }
}

function filled(row) {
  if (row && typeof row === "object" && !Array.isArray(row)) {
    return Object.entries(row).some(([key, value]) => !ROW_MARKERS.has(key) && filled(value));
  }
  return !(row === null || row === "" || (Array.isArray(row) && row.length === 0));
}

function lists(node) {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
  const keys = Object.keys(node);
  const converted = Object.fromEntries(keys.map((key) => [key, lists(node[key])]));
  if (keys.length && keys.every(isDigits)) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => converted[key]).filter(filled);
  }
  return converted;
}

export function unflatten(pairs) {
  const tree = {};
  for (const [name, raw] of pairs) {
    if (name === "csrf_token") continue;
    place(tree, name.split("."), raw === "" ? null : raw);
  }
  return lists(tree);
}

const checkbox = (value) => ["on", "true", "1"].includes(value) || value === true;

function setBool(node, parts) {
  if (parts[0] === "*") {
    for (const row of Array.isArray(node) ? node : []) setBool(row, parts.slice(1));
    return;
  }
  if (node === null || typeof node !== "object" || Array.isArray(node)) return;
  if (parts.length === 1) node[parts[0]] = checkbox(node[parts[0]]);
  else if (Object.hasOwn(node, parts[0])) setBool(node[parts[0]], parts.slice(1));
}

// `body`: the form's fields, URL-encoded (as drafts and the form post have them).
export function envelopeOf(form, recordId, body) {
  const tree = unflatten(new URLSearchParams(body));
  const data = tree.data && typeof tree.data === "object" && !Array.isArray(tree.data) ? tree.data : {};
  for (const path of (form.dataset.boolFields || "").split(",").filter(Boolean)) setBool(data, path.split("."));
  const base = Number(tree.base_version);
  const envelope = { id: recordId, schema: Number(form.dataset.schema) || 1, type: tree.type || form.dataset.recordType,
    child_id: tree.child_id || null, base_version: Number.isInteger(base) && base > 0 ? base : null,
    status: tree.status || "draft", data };
  if (tree.unit_id) envelope.unit_id = tree.unit_id;
  return envelope;
}
