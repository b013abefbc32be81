// Small page helpers: the user menu, the error summary, print buttons, a confirm dialog and a
// message above a form. Text is always set with textContent.

export function setUpUi() {
  document.addEventListener("click", (event) => {
    for (const menu of document.querySelectorAll("details.usermenu[open]")) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    }
  });
  setUpErrorSummary(document.getElementById("error-summary"));
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
}

// The error summary names and links each invalid field (its links work without this): the page
// opens on the first invalid field, and a link moves the focus to its field, not only the view.
function focusField(id) {
  const field = id && document.getElementById(id);
  if (!field) return false;
  field.focus({ preventScroll: true });
  (field.closest("fieldset, .field") || field).scrollIntoView({ block: "center" });
  return document.activeElement === field;
}

function setUpErrorSummary(summary) {
  if (!summary) return;
  const links = [...summary.querySelectorAll('a[href^="#"]')];
  for (const a of links) {
    a.addEventListener("click", (event) => {
      if (focusField(decodeURIComponent(a.hash.slice(1)))) event.preventDefault();
    });
  }
  const first = links.find((a) => document.getElementById(decodeURIComponent(a.hash.slice(1))));
  if (!first || !focusField(decodeURIComponent(first.hash.slice(1)))) summary.focus();
}

export function confirmDialog(title, lines, confirmText, cancelText) {
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

export function showFormMessage(form, kind, text) {
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

export function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.className = "button secondary";
  return a;
}
