// The page script's texts in the user's language. Texts are written in Danish, marked `_("…")`
// (extracted like the server's texts by `make messages`); the English ones come from
// backend/locale/en/pwa.po, which the server writes into the page as
// <script type="application/json" id="opspor-texts"> (only when the language is not Danish).
// Values go in as `{name}` placeholders, never into the text itself.
let catalogue = null;

function texts() {
  if (catalogue === null) {
    const tag = typeof document !== "undefined" && document.getElementById("opspor-texts");
    try {
      catalogue = tag ? JSON.parse(tag.textContent) : {};
    } catch (error) {
      catalogue = {};
    }
  }
  return catalogue;
}

export function _(text, values = {}) {
  const translated = texts()[text] || text;
  return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The locale for times and dates written by the page script.
export const locale = () => (typeof document !== "undefined" && document.documentElement.lang === "en" ? "en-GB" : "da-DK");
