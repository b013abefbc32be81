// ADBB: the live total while scoring, and the age at the screening date.
import { ageInMonths } from "./dates.js";
import { _ } from "./texts.js";

export function updateAdbb(form) {
  const box = form.querySelector("[data-adbb]");
  if (!box) return;
  let total = 0, scored = 0;
  for (const input of form.querySelectorAll('input[type=radio][name^="data.items."]:checked')) {
    total += Number(input.value); scored += 1;
  }
  const cutoff = Number(box.dataset.cutoff);
  const output = form.querySelector("[data-adbb-total]");
  output.textContent = _("Total: {total} af 32", { total });
  output.parentElement.classList.toggle("over", total >= cutoff);
  form.querySelector("[data-adbb-verdict]").textContent =
    total >= cutoff ? _("Over grænsen ({cutoff})", { cutoff }) : _("{scored} af 8 scoret · grænse {cutoff}", { scored, cutoff });
  const dateInput = form.querySelector('input[name="data.screened_on"]');
  const note = form.querySelector("[data-age-note]");
  if (dateInput && dateInput.value && note) {
    const months = ageInMonths(box.dataset.birthDate, dateInput.value);
    const outside = months < Number(box.dataset.minAge) || months > Number(box.dataset.maxAge);
    note.textContent = _("Alder ved screeningen: {months} måneder.", { months }) +
      (outside ? " " + _("Uden for 2–24 måneder: skriv en begrundelse.") : "");
    note.classList.toggle("alert", outside);
    note.classList.toggle("warn", outside);
    const reason = form.querySelector("[data-age-reason]");
    const text = form.querySelector('[name="data.age_reason"]');
    if (reason && text) reason.hidden = !outside && !text.value;
  }
}
