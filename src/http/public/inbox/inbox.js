// Aduan agency inbox. No HTML parsing anywhere: titles, bodies, notes and replies are citizens' and operators'
// words, so every string reaches the page through textContent (or an attribute the browser does not run).

const KEY_STORE = 'aduan.inbox.key';
const PAGE_SIZE = 25;
const TRACKING_RE = /^ADU-[2-9A-Y]{4}-[2-9A-Y]{4}$/;

import { ApiFailure, explain, request } from './api.js';
import { el, formatShortDate, labelOf, loadMeta, meta, statusLabel } from './format.js';
import { renderAttachments, renderDeadlines, renderHistory, renderMeta } from './ticket-view.js';

const $ = (id) => document.getElementById(id);

// Storage: sessionStorage, not localStorage — an office computer is shared, and a key must not outlive
// the tab. It can throw (storage disabled): then the key lives in this page only.
const memory = new Map();
let store = {
  getItem: (k) => memory.get(k) ?? null,
  setItem: (k, v) => memory.set(k, v),
  removeItem: (k) => memory.delete(k),
};
try {
  sessionStorage.getItem(KEY_STORE);
  store = sessionStorage;
} catch {
  // keep the in-memory store
}

const state = {
  key: null,
  items: [],
  next: null,
  /** Bumped by every list request, so a slow answer to an old filter cannot overwrite a new one. */
  listGen: 0,
  detailGen: 0,
  /** The ticket open in the detail pane (the API's view), or null. */
  ticket: null,
  /**
   * The signed-in key is a coordinator's: it forwards any ticket (disposisi). An agency key passes on
   * its own ("bukan wewenang", with a reason) and then no longer sees the ticket.
   */
  coordinator: false,
};

/** Calls the agency API with the signed-in key (or `key`). A 401 for that key signs out: it was revoked. */
async function api(path, { method = 'GET', body, key = state.key } = {}) {
  try {
    return await request(path, { method, body, key });
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401 && key === state.key && state.key)
      signOut('Kunci API tidak berlaku lagi (mungkin dicabut). Silakan masuk kembali.');
    throw failure;
  }
}

let announceTimer = 0;
/** Says what an action did, in the live region (screen readers) and the bar (everyone). */
function announce(text, kind = 'ok') {
  const node = $('announce');
  clearTimeout(announceTimer);
  node.className = `announce ${kind}`;
  // Emptied first so the same message twice is announced twice.
  node.textContent = '';
  setTimeout(() => {
    node.textContent = text;
  }, 30);
  if (kind === 'ok') announceTimer = setTimeout(() => (node.textContent = ''), 8000);
}

// Sign-in and sign-out

function show(view) {
  const signedIn = view === 'inbox';
  $('signin-view').hidden = signedIn;
  $('inbox-view').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('summary').hidden = !signedIn;
}

/** Checks a key against the API (stats: cheap, scoped to the key) and, if it works, opens the inbox. */
async function signIn(key) {
  const stats = await (await api('/api/v1/stats', { key })).json();
  state.key = key;
  // The key's role from the API itself: it decides which re-route form the page offers.
  state.coordinator = stats.key?.role === 'coordinator';
  store.setItem(KEY_STORE, key);
  renderSummary(stats);
  show('inbox');
  await loadList();
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (TRACKING_RE.test(wanted)) await openTicket(wanted, { focus: 'heading' });
  else $('tickets').querySelector('button')?.focus();
}

function signOut(message) {
  store.removeItem(KEY_STORE);
  state.key = null;
  state.coordinator = false;
  state.items = [];
  state.next = null;
  state.listGen++;
  state.detailGen++;
  closeTicket();
  $('tickets').replaceChildren();
  $('key').value = '';
  history.replaceState(null, '', location.pathname);
  show('signin');
  $('signin-error').textContent = message ?? '';
  announce(message ?? 'Anda telah keluar.', message ? 'error' : 'ok');
  $('key').focus();
}

function renderSummary(stats) {
  const parts = [`${stats.total} laporan`];
  const open = stats.total - (stats.byStatus.closed ?? 0) - (stats.byStatus.archived ?? 0);
  parts.push(`${open} terbuka`);
  parts.push(`${stats.overdue} lewat tenggat`);
  $('summary').textContent = parts.join(' · ');
  $('summary').classList.toggle('alert', stats.overdue > 0);
}

async function refreshSummary() {
  try {
    renderSummary(await (await api('/api/v1/stats')).json());
  } catch {
    // The summary is a convenience; the list and the actions report their own failures.
  }
}

// The list

function filterQuery() {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if ($('f-status').value) q.set('status', $('f-status').value);
  if ($('f-category').value) q.set('category', $('f-category').value);
  if ($('f-overdue').checked) q.set('overdue', 'true');
  return q;
}

/** Loads the first page (`more`: the next page) of tickets for the current filters. */
async function loadList({ more = false } = {}) {
  const gen = ++state.listGen;
  const q = filterQuery();
  if (more && state.next) q.set('cursor', state.next);
  $('list-state').textContent = 'Memuat…';
  $('tickets').setAttribute('aria-busy', 'true');
  try {
    const page = await (await api(`/api/v1/tickets?${q}`)).json();
    if (gen !== state.listGen) return [];
    state.items = more ? [...state.items, ...page.items] : page.items;
    state.next = page.next;
    renderList();
    return page.items;
  } catch (err) {
    if (gen === state.listGen) {
      $('list-state').textContent = explain(err);
      if (state.key) announce(explain(err), 'error');
    }
    return [];
  } finally {
    if (gen === state.listGen) $('tickets').removeAttribute('aria-busy');
  }
}

function renderList() {
  const list = $('tickets');
  list.replaceChildren(...state.items.map(renderRow));
  const n = state.items.length;
  $('list-state').textContent =
    n === 0
      ? 'Tidak ada laporan yang cocok dengan saringan ini.'
      : `${n} laporan ditampilkan${state.next ? ' (masih ada lagi)' : ''}`;
  $('more').hidden = !state.next;
  markCurrent();
}

function renderRow(item) {
  const li = el('li');
  const row = el('button', 'row');
  row.type = 'button';
  row.dataset.id = item.trackingId;
  const top = el('span', 'row-top');
  top.append(
    el('span', 'mono', item.trackingId),
    el('span', `badge s-${item.status}`, statusLabel(item.status)),
  );
  if (item.deadlines?.overdue) top.append(el('span', 'badge overdue', 'Lewat tenggat'));
  const sub = [labelOf(meta.categories, item.category), labelOf(meta.regions, item.region)].join(' · ');
  const bottom = el('span', 'row-sub');
  bottom.append(el('span', null, sub), el('time', null, formatShortDate(item.createdAt)));
  row.append(top, el('span', 'row-title', item.title), bottom);
  row.addEventListener('click', () => openTicket(item.trackingId, { focus: 'heading' }));
  li.append(row);
  return li;
}

/** Marks the open ticket's row (aria-current), so it stays findable by sight and by screen reader. */
function markCurrent() {
  for (const row of $('tickets').querySelectorAll('button.row')) {
    if (row.dataset.id === state.ticket?.trackingId) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}

/** Keeps the list's copy of a ticket in step after an action, without reloading the list. */
function updateRow(ticket) {
  const i = state.items.findIndex((t) => t.trackingId === ticket.trackingId);
  if (i < 0) return;
  state.items[i] = {
    ...state.items[i],
    status: ticket.status,
    agencyId: ticket.agencyId,
    deadlines: ticket.deadlines,
  };
  const old = $('tickets').children[i];
  const hadFocus = old?.contains(document.activeElement);
  const fresh = renderRow(state.items[i]);
  old?.replaceWith(fresh);
  markCurrent();
  if (hadFocus) fresh.querySelector('button')?.focus();
}

// One ticket

const EMPTY_DETAIL = 'Pilih laporan di daftar untuk melihat rinciannya.';

/** Empties the detail pane; `message` says why (a ticket passed on), until the next ticket opens. */
function closeTicket(message) {
  state.ticket = null;
  $('ticket').hidden = true;
  $('detail-empty').textContent = message ?? EMPTY_DETAIL;
  $('detail-empty').hidden = false;
}

/**
 * Opens a ticket in the detail pane. `focus`: 'heading' moves focus to its title (opened on purpose),
 * 'row' leaves it on its list row (moving through the list with j/k), anything else leaves focus alone.
 */
async function openTicket(trackingId, { focus } = {}) {
  const gen = ++state.detailGen;
  $('detail').setAttribute('aria-busy', 'true');
  try {
    const ticket = await (await api(`/api/v1/tickets/${encodeURIComponent(trackingId)}`)).json();
    if (gen !== state.detailGen) return;
    renderTicket(ticket);
    history.replaceState(null, '', `#${ticket.trackingId}`);
    if (focus === 'heading') $('t-title').focus();
    if (focus === 'row') rowOf(ticket.trackingId)?.focus();
  } catch (err) {
    if (gen === state.detailGen && state.key) announce(explain(err), 'error');
  } finally {
    if (gen === state.detailGen) $('detail').removeAttribute('aria-busy');
  }
}

const rowOf = (id) => [...$('tickets').querySelectorAll('button.row')].find((b) => b.dataset.id === id);

function renderTicket(t) {
  const changed = state.ticket?.trackingId !== t.trackingId;
  state.ticket = t;
  $('detail-empty').hidden = true;
  $('ticket').hidden = false;
  $('t-id').textContent = t.trackingId;
  const status = $('t-status');
  status.textContent = statusLabel(t.status);
  status.className = `badge s-${t.status}`;
  $('t-overdue').hidden = !t.deadlines?.overdue;
  $('t-anonymous').hidden = !t.anonymous;
  $('t-confidential').hidden = !t.confidential;
  $('t-title').textContent = t.title;
  $('t-body').textContent = t.body;
  renderMeta(t, $('t-meta'));
  renderAttachments(t, $('t-attachments'), $('t-rejected'), download);
  renderDeadlines(t.deadlines, $('t-deadlines'));
  renderHistory(t.history, $('t-history'));
  renderStatusForm(t.status);
  if (changed) {
    // Drafts belong to the ticket they were written for.
    for (const id of ['s-note', 'r-message', 'n-note', 'd-note', 'd-agency', 'w-note', 'w-agency'])
      $(id).value = '';
    for (const id of ['s-error', 'r-error', 'n-error', 'd-error', 'w-error']) clearError(id);
    $('ticket').scrollTop = 0;
    $('detail').scrollTop = 0;
  }
  renderRouteForm(t);
  renderAuthorityForm(t);
  markCurrent();
}

/**
 * Downloads an attachment. A plain link cannot carry the Bearer header, so the file is fetched with
 * it and handed to the browser as a blob. The server sends it as a download with a checked type; it is
 * never shown inside this page.
 */
async function download(trackingId, attachment, button) {
  button.disabled = true;
  try {
    const res = await api(attachment.url);
    const blob = await res.blob();
    const name =
      /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
      `${trackingId}-${attachment.index + 1}`;
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    // Revoked a little later: the download starts asynchronously.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`Lampiran ${attachment.index + 1} diunduh (${name}).`);
  } catch (err) {
    announce(explain(err), 'error');
  } finally {
    button.disabled = false;
  }
}

function renderStatusForm(current) {
  const next = meta.statuses.get(current)?.next ?? [];
  const select = $('s-status');
  const keep = select.value;
  select.replaceChildren(
    el('option', null, next.length ? 'Pilih status…' : '—'),
    ...next.map((id) => {
      const o = el('option', null, statusLabel(id));
      o.value = id;
      return o;
    }),
  );
  select.firstChild.value = '';
  if (next.includes(keep)) select.value = keep;
  const final = next.length === 0;
  $('s-final').hidden = !final;
  for (const node of $('status-form').elements) node.disabled = final;
  syncNoteRequirement();
}

/**
 * The agencies a ticket can be forwarded to, as `select`'s options: every agency of the routing but
 * the ticket's own, grouped by region — the report's own region first, then the province's offices,
 * then the rest. Keeps the choice made if it is still offered.
 */
function fillAgencyChoices(select, t) {
  const keep = select.value;
  const groups = new Map();
  const groupOf = (region) => {
    if (!groups.has(region)) {
      const group = el('optgroup');
      group.label =
        region === null
          ? 'Tingkat provinsi'
          : `${labelOf(meta.regions, region)}${region === t.region ? ' (wilayah laporan)' : ''}`;
      groups.set(region, group);
    }
    return groups.get(region);
  };
  if (t.region) groupOf(t.region);
  groupOf(null);
  for (const a of meta.agencyList) {
    if (a.id === t.agencyId) continue;
    const o = el('option', null, a.label);
    o.value = a.id;
    groupOf(a.region).append(o);
  }
  const first = el('option', null, 'Pilih instansi…');
  first.value = '';
  select.replaceChildren(first, ...[...groups.values()].filter((g) => g.children.length > 0));
  select.value = keep && keep !== t.agencyId && meta.agencies.has(keep) ? keep : '';
}

/** A final ticket (closed, archived) cannot be forwarded: the server refuses, so the form says so. */
function syncFinal(form, hintId, t) {
  const final = (meta.statuses.get(t.status)?.next ?? []).length === 0;
  $(hintId).hidden = !final;
  for (const node of form.elements) node.disabled = final;
}

/** The disposisi form, for a coordinator key only. */
function renderRouteForm(t) {
  const form = $('route-form');
  form.hidden = !state.coordinator;
  if (form.hidden) return;
  fillAgencyChoices($('d-agency'), t);
  syncFinal(form, 'd-final', t);
}

/** "Bukan wewenang", for an agency key only: pass its own ticket to the agency responsible, with a reason. */
function renderAuthorityForm(t) {
  const form = $('authority-form');
  form.hidden = state.coordinator;
  if (form.hidden) return;
  fillAgencyChoices($('w-agency'), t);
  syncFinal(form, 'w-final', t);
}

/** A note is required for some targets (on hold, archived): the label and the field say so. */
function syncNoteRequirement() {
  const required = meta.statuses.get($('s-status').value)?.noteRequired ?? false;
  $('s-note').required = required;
  $('s-note-need').textContent = required ? '(wajib: jelaskan alasannya)' : '(opsional)';
  $('s-note-need').classList.toggle('required', required);
}

// Actions

function setError(id, fieldId, text) {
  $(id).textContent = text;
  $(fieldId)?.setAttribute('aria-invalid', 'true');
}

function clearError(id) {
  $(id).textContent = '';
  for (const field of $(id).closest('form').querySelectorAll('[aria-invalid]'))
    field.removeAttribute('aria-invalid');
}

/**
 * Runs one action from a form: disables it while the request runs (no double submit), shows the
 * updated ticket from the answer (unless `show` is false: the caller deals with it), announces the
 * result, and puts focus where the operator goes next. `explainAs`: the form's own words for a failure
 * (undefined: the usual ones).
 */
async function act(form, errorId, run, { show = true, explainAs = () => undefined } = {}) {
  if (form.getAttribute('aria-busy') === 'true' || !state.ticket) return;
  clearError(errorId);
  const controls = [...form.elements].filter((c) => !c.disabled);
  form.setAttribute('aria-busy', 'true');
  for (const c of controls) c.disabled = true;
  const trackingId = state.ticket.trackingId;
  try {
    const res = await run(trackingId);
    const ticket = await res.json();
    for (const c of controls) c.disabled = false;
    if (show) {
      if (state.ticket?.trackingId === trackingId) renderTicket(ticket);
      updateRow(ticket);
    }
    void refreshSummary();
    return ticket;
  } catch (err) {
    for (const c of controls) c.disabled = false;
    if (!state.key) return false;
    const message = explainAs(err) ?? explain(err);
    const field = err instanceof ApiFailure && err.field ? form.elements.namedItem(err.field) : null;
    setError(errorId, field?.id, message);
    announce(message, 'error');
    // Someone else may have moved the ticket: show what it is now, and the transitions it allows now.
    if (err instanceof ApiFailure && err.code === 'transition_not_allowed') await openTicket(trackingId);
    (field ?? form.querySelector('select, textarea'))?.focus();
    return false;
  } finally {
    form.removeAttribute('aria-busy');
  }
}

function onStatusSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const status = $('s-status').value;
  const note = $('s-note').value.trim();
  if (!status) {
    setError('s-error', 's-status', 'Pilih status baru terlebih dahulu.');
    $('s-status').focus();
    return;
  }
  if ($('s-note').required && !note) {
    setError('s-error', 's-note', `Catatan wajib diisi untuk status "${statusLabel(status)}".`);
    $('s-note').focus();
    return;
  }
  void act(form, 's-error', (id) =>
    api(`/api/v1/tickets/${id}/status`, { method: 'POST', body: { status, ...(note ? { note } : {}) } }),
  ).then((ok) => {
    if (!ok) return;
    $('s-note').value = '';
    announce(`Status diubah menjadi "${statusLabel(status)}". Pelapor diberi tahu.`);
    // The next transition is the likely next step; a final status has none, so back to the ticket.
    if ($('s-status').disabled) $('t-title').focus();
    else $('s-status').focus();
  });
}

function onRouteSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const agencyId = $('d-agency').value;
  const note = $('d-note').value.trim();
  if (!agencyId) {
    setError('d-error', 'd-agency', 'Pilih instansi tujuan terlebih dahulu.');
    $('d-agency').focus();
    return;
  }
  const name = labelOf(meta.agencies, agencyId);
  void act(form, 'd-error', (id) =>
    api(`/api/v1/tickets/${id}/route`, { method: 'POST', body: { agencyId, ...(note ? { note } : {}) } }),
  ).then((ok) => {
    if (!ok) return;
    $('d-note').value = '';
    announce(`Laporan didisposisikan ke ${name}. Pelapor diberi tahu.`);
    // The ticket is another agency's now: back to it, where the new agency and the history line show.
    $('t-title').focus();
  });
}

/**
 * "Bukan wewenang": the agency passes its own ticket to the agency responsible, with a reason. On
 * success the ticket is the other agency's: it leaves this key's list and the detail pane says so.
 */
function onAuthoritySubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const agencyId = $('w-agency').value;
  const note = $('w-note').value.trim();
  if (!agencyId) {
    setError('w-error', 'w-agency', 'Pilih instansi yang berwenang terlebih dahulu.');
    $('w-agency').focus();
    return;
  }
  if (!note) {
    setError('w-error', 'w-note', REASON_REQUIRED);
    $('w-note').focus();
    return;
  }
  const name = labelOf(meta.agencies, agencyId);
  void act(
    form,
    'w-error',
    (id) => api(`/api/v1/tickets/${id}/route`, { method: 'POST', body: { agencyId, note } }),
    { show: false, explainAs: explainAuthorityFailure },
  ).then((ticket) => {
    if (!ticket) return;
    handedOver(ticket.trackingId, name);
  });
}

const REASON_REQUIRED = 'Alasan wajib diisi: jelaskan mengapa laporan ini bukan wewenang instansi Anda.';

/** The "bukan wewenang" form's words for the API's refusals that are its own. */
function explainAuthorityFailure(err) {
  if (!(err instanceof ApiFailure)) return undefined;
  if (err.status === 400 && err.field === 'note') return REASON_REQUIRED;
  if (err.code === 'transition_not_allowed')
    return 'Laporan ini tidak dapat diteruskan dari status sekarang (sudah ditutup atau diarsipkan); laporan telah dimuat ulang.';
  return undefined;
}

/** The ticket went to another agency: off this key's list, the detail pane and the announcement say where. */
function handedOver(trackingId, agencyName) {
  const i = state.items.findIndex((t) => t.trackingId === trackingId);
  if (i >= 0) state.items.splice(i, 1);
  renderList();
  const text = `Laporan ${trackingId} telah diteruskan ke ${agencyName} dan tidak lagi ada di daftar Anda. Pelapor diberi tahu nama instansi barunya.`;
  closeTicket(text);
  history.replaceState(null, '', location.pathname);
  announce(text);
  // The next ticket in the list (the one that took its place), or the message when none is left.
  const rows = $('tickets').querySelectorAll('button.row');
  const next = rows[Math.min(i, rows.length - 1)];
  if (i >= 0 && next) next.focus();
  else $('detail-empty').focus();
}

function onTextSubmit(fieldId, errorId, path, bodyKey, emptyText, doneText) {
  return (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = $(fieldId).value.trim();
    if (!text) {
      setError(errorId, fieldId, emptyText);
      $(fieldId).focus();
      return;
    }
    void act(form, errorId, (id) =>
      api(`/api/v1/tickets/${id}/${path}`, { method: 'POST', body: { [bodyKey]: text } }),
    ).then((ok) => {
      if (!ok) return;
      $(fieldId).value = '';
      announce(doneText);
      $(fieldId).focus();
    });
  };
}

// Keyboard: j/k (or ↓/↑ on the list) move through tickets, r reloads, b goes to the reply field.

function isTyping(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
  );
}

function move(delta) {
  const rows = [...$('tickets').querySelectorAll('button.row')];
  if (rows.length === 0) return;
  const from = rows.findIndex(
    (r) => r === document.activeElement || r.dataset.id === state.ticket?.trackingId,
  );
  const to = rows[Math.min(rows.length - 1, Math.max(0, from < 0 ? 0 : from + delta))];
  if (!to) return;
  to.focus();
  to.scrollIntoView({ block: 'nearest' });
  if (to.dataset.id !== state.ticket?.trackingId) void openTicket(to.dataset.id, { focus: 'row' });
}

function onKey(event) {
  if ($('inbox-view').hidden || event.altKey || event.ctrlKey || event.metaKey) return;
  const onRow = event.target instanceof HTMLElement && event.target.matches('button.row');
  if (onRow && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
    event.preventDefault();
    move(event.key === 'ArrowDown' ? 1 : -1);
    return;
  }
  if (isTyping(event.target)) return;
  const actions = {
    j: () => move(1),
    k: () => move(-1),
    r: () => reload(),
    b: () => state.ticket && $('r-message').focus(),
  };
  const action = actions[event.key.toLowerCase()];
  if (action) {
    event.preventDefault();
    action();
  }
}

async function reload() {
  await loadList();
  void refreshSummary();
  if (state.ticket) await openTicket(state.ticket.trackingId);
  announce('Daftar dimuat ulang.');
}

// Start

/** The filters' choices, from meta.json. */
function fillFilters() {
  const options = (map) =>
    [...map].map(([id, label]) => {
      const o = el('option', null, typeof label === 'string' ? label : label.label);
      o.value = id;
      return o;
    });
  $('f-status').append(...options(meta.statuses));
  $('f-category').append(...options(meta.categories));
}

function wire() {
  $('signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    const error = $('signin-error');
    error.textContent = '';
    $('key').removeAttribute('aria-invalid');
    if (!key) {
      error.textContent = 'Tempelkan kunci API instansi Anda.';
      $('key').setAttribute('aria-invalid', 'true');
      $('key').focus();
      return;
    }
    const submit = event.currentTarget.querySelector('button');
    submit.disabled = true;
    try {
      await signIn(key);
      announce('Anda telah masuk.');
    } catch (err) {
      error.textContent = explain(err);
      $('key').setAttribute('aria-invalid', 'true');
      $('key').select();
      $('key').focus();
    } finally {
      submit.disabled = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('filters').addEventListener('change', () => void loadList());
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('refresh').addEventListener('click', () => void reload());
  $('more').addEventListener('click', async () => {
    const before = state.items.length;
    const added = await loadList({ more: true });
    // Keyboard users carry on from the first ticket that just arrived.
    $('tickets').querySelectorAll('button.row')[before]?.focus();
    if (added.length) announce(`${added.length} laporan lagi dimuat.`);
  });
  $('status-form').addEventListener('submit', onStatusSubmit);
  $('s-status').addEventListener('change', () => {
    clearError('s-error');
    syncNoteRequirement();
  });
  $('route-form').addEventListener('submit', onRouteSubmit);
  $('d-agency').addEventListener('change', () => clearError('d-error'));
  $('authority-form').addEventListener('submit', onAuthoritySubmit);
  $('w-agency').addEventListener('change', () => clearError('w-error'));
  $('reply-form').addEventListener(
    'submit',
    onTextSubmit(
      'r-message',
      'r-error',
      'replies',
      'message',
      'Tulis pesan balasan terlebih dahulu.',
      'Balasan terkirim ke pelapor.',
    ),
  );
  $('note-form').addEventListener(
    'submit',
    onTextSubmit(
      'n-note',
      'n-error',
      'notes',
      'note',
      'Tulis catatan terlebih dahulu.',
      'Catatan internal disimpan.',
    ),
  );
  document.addEventListener('keydown', onKey);
}

async function start() {
  wire();
  try {
    await loadMeta();
    fillFilters();
  } catch {
    show('signin');
    $('signin-error').textContent = 'Halaman tidak dapat dimuat dengan lengkap. Muat ulang halaman ini.';
    return;
  }
  const saved = store.getItem(KEY_STORE);
  if (saved) {
    try {
      await signIn(saved);
      return;
    } catch (err) {
      store.removeItem(KEY_STORE);
      show('signin');
      $('signin-error').textContent = explain(err);
      return;
    }
  }
  show('signin');
  $('key').focus();
}

void start();
