// Dates as backend/domain/dates.py computes them: the two must agree (tests/test_pwa_dates.py
// runs both over the same table). Dates are ISO strings ("2024-01-31"), never Date objects, so
// no time zone can move a day.

const parse = (iso) => {
  const [year, month, day] = String(iso).slice(0, 10).split("-").map(Number);
  return { year, month, day };
};
const daysIn = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const compare = (a, b) => (a.year - b.year) || (a.month - b.month) || (a.day - b.day);

// The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb).
function addMonthsTo(start, months) {
  const index = start.month - 1 + months;
  const year = start.year + Math.floor(index / 12);
  const month = ((index % 12) + 12) % 12 + 1;
  return { year, month, day: Math.min(start.day, daysIn(year, month)) };
}

export function addMonths(iso, months) {
  const { year, month, day } = addMonthsTo(parse(iso), months);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

// Completed months of age on a date (-1 before birth); a child born 31 Jan is one month old
// on 28/29 Feb, one born 29 Feb turns one year on 28 Feb.
export function ageInMonths(birthIso, onIso) {
  const birth = parse(birthIso), on = parse(onIso);
  if (compare(on, birth) < 0) return -1;
  let months = (on.year - birth.year) * 12 + on.month - birth.month;
  if (compare(addMonthsTo(birth, months), on) > 0) months -= 1;
  return months;
}
