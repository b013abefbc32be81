// List rows (participants, agreements, trial actions): add from the <template>, remove a row.
// Without JavaScript the form shows two blank rows instead, and a row is removed by emptying it.

const addRowFns = new Map();  // container → function adding one more row

export function setUpRows() {
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
}

// A restored draft may have more rows than the blank form: add rows until its fields exist.
export function ensureRows(form, params) {
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
