// What the inbox page shows that is not a ticket: the lookups from meta.json (status labels and
// transitions, names behind routing ids), dates in the deployment's time zone, and the one way this
// page makes an element with text in it.

/**
 * Lookups from /inbox/meta.json: statuses (label, next, noteRequired), categories, regions, agencies
 * (id → name), and `agencyList`, the agencies in routing order with their region (the disposisi choices).
 */
export const meta = {
  statuses: new Map(),
  categories: new Map(),
  regions: new Map(),
  agencies: new Map(),
  agencyList: [],
};
let dateFormat = new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeStyle: 'short' });
let shortDate = new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'short' });

/** An element with a class and text; text is always textContent, never markup. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export const statusLabel = (id) => meta.statuses.get(id)?.label ?? id;
export const labelOf = (map, id) => (id ? (map.get(id) ?? id) : '—');
export const formatDate = (iso) => (iso ? dateFormat.format(new Date(iso)) : '—');
const calendarDay = new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeZone: 'UTC' });
/** A day without a time (a deadline, an incident date): 'YYYY-MM-DD' read as that day, in no zone. */
export const formatDay = (day) =>
  /^\d{4}-\d{2}-\d{2}$/.test(day) ? calendarDay.format(new Date(`${day}T00:00:00Z`)) : day;

/** A date for the list: day and month. */
export const formatShortDate = (iso) => shortDate.format(new Date(iso));

/** Loads meta.json: the lookups above and the time zone dates are shown in. */
export async function loadMeta() {
  const res = await fetch('meta.json', { cache: 'no-cache' });
  if (!res.ok) throw new Error(`meta.json: ${res.status}`);
  const m = await res.json();
  for (const s of m.statuses) meta.statuses.set(s.id, s);
  for (const c of m.categories) meta.categories.set(c.id, c.label);
  for (const r of m.regions) meta.regions.set(r.id, r.label);
  for (const a of m.agencies) meta.agencies.set(a.id, a.label);
  meta.agencyList = m.agencies.map((a) => ({ id: a.id, label: a.label, region: a.region ?? null }));
  dateFormat = new Intl.DateTimeFormat('id-ID', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: m.timeZone,
  });
  shortDate = new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'short', timeZone: m.timeZone });
}
