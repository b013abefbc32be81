// A password link carries its one-time token in the fragment (/set-password#t=…): browsers never
// send the fragment to the server, so the token reaches no access log, proxy log or Referer.
// This script moves it into the page's form, removes it from the address bar and history, and
// posts it. Without a token in the fragment nothing is posted.
"use strict";
(() => {
  const form = document.getElementById("password-link-form");
  const field = document.getElementById("password-link-token");
  if (!form || !field) return;
  const token = new URLSearchParams(window.location.hash.slice(1)).get("t") || "";
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(token)) return;
  field.value = token;
  history.replaceState(null, "", window.location.pathname);
  form.submit();
})();
