// Aduan web chat client. Never innerHTML: any text may contain citizens' words.

const MAX_TEXT = 4000;
const MAX_FILE = 10 * 1024 * 1024;
const FILE_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];
const MAX_RETRIES = 5;
const CHAT_KEY = 'aduan.chatId';

const $ = (id) => document.getElementById(id);
const log = $('log');
const input = $('input');
const counter = $('counter');
const fileInput = $('file');
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

// Storage and ids

// localStorage can throw (storage disabled): then remember for this page only.
const memory = new Map();
let store = {
  getItem: (key) => memory.get(key) ?? null,
  setItem: (key, value) => memory.set(key, value),
  removeItem: (key) => memory.delete(key),
};
try {
  localStorage.getItem(CHAT_KEY);
  store = localStorage;
} catch {
  // keep the in-memory store
}

// 32 random bytes as base64url without padding (43 chars): the only key to the conversation.
function newChatId() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

// crypto.randomUUID needs a secure context; plain http on a LAN (a test phone) lacks it.
function newMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return hex.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

let chatId = store.getItem(CHAT_KEY);
if (!/^[\w-]{43}$/.test(chatId)) {
  chatId = newChatId();
  store.setItem(CHAT_KEY, chatId);
}
const startedKey = `aduan.started.${chatId}`;

// Rendering

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function button(label, onClick, className) {
  const b = el('button', className, label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

// Newlines become <br>, bot *bold* becomes <strong>; appended strings become text nodes.
function renderText(target, text, rich) {
  text.split('\n').forEach((line, i) => {
    if (i > 0) target.append(el('br'));
    let last = 0;
    if (rich) {
      for (const m of line.matchAll(/\*(\S(?:[^*]*\S)?)\*/g)) {
        target.append(line.slice(last, m.index), el('strong', null, m[1]));
        last = m.index + m[0].length;
      }
    }
    target.append(line.slice(last));
  });
}

function timeEl(iso) {
  const d = iso ? new Date(iso) : new Date();
  const t = el('time', 'meta');
  if (Number.isNaN(d.getTime())) return t;
  const options = { hour: '2-digit', minute: '2-digit' };
  if (d.toDateString() !== new Date().toDateString())
    Object.assign(options, { day: 'numeric', month: 'short' });
  t.dateTime = d.toISOString();
  t.textContent = d.toLocaleString('id-ID', options);
  return t;
}

function scrollToEnd() {
  requestAnimationFrame(() =>
    log.scrollTo({ top: log.scrollHeight, behavior: reducedMotion.matches ? 'auto' : 'smooth' }),
  );
}

// A turn is appended whole so the live region announces it once ("Aduan: …" / "Anda: …").
function addTurn(who, parts) {
  const turn = el('div', `turn ${who}`);
  turn.append(el('span', 'sr-only', who === 'bot' ? 'Aduan: ' : 'Anda: '), ...parts);
  log.append(turn);
  scrollToEnd();
  return turn;
}

function addMyTurn(fill) {
  const bubble = el('div', 'msg me');
  fill(bubble);
  return addTurn('me', [bubble, timeEl()]);
}

function notice(text) {
  log.append(el('p', 'notice', text));
  scrollToEnd();
}

// Disabling or removing the focused element drops focus to <body>: keep it in the log.
function keepFocus(node) {
  if (node?.contains(document.activeElement)) log.focus({ preventScroll: true });
}

// One line under a bubble: "mengirim ulang…", an error, a retry button.
function setNote(turn, text, isError, action) {
  const old = turn.querySelector('.note');
  if (old && !action && old.textContent === text) return; // do not announce it again
  keepFocus(old);
  old?.remove();
  if (!text) return;
  const note = el('p', isError ? 'note error' : 'note', text);
  if (action) note.append(' ', action);
  turn.append(note);
  scrollToEnd();
}

// Bot messages

const seen = new Set(); // ids: after a reconnect EventSource replays from Last-Event-ID
let activeControls = []; // the newest bot message's: old ones must not answer a later question

function setControls(buttons, enabled) {
  for (const b of buttons) {
    if (!enabled) keepFocus(b);
    b.disabled = !enabled;
  }
}

function showBotMessage(msg) {
  if (seen.has(msg.id)) return;
  seen.add(msg.id);
  setControls(activeControls, false);
  const controls = [];
  const bubble = el('div', 'msg bot');
  renderText(bubble, String(msg.text ?? ''), true);
  const parts = [bubble];

  if (Array.isArray(msg.choices) && msg.choices.length) {
    const group = el('div', 'choices');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Pilihan jawaban');
    for (const choice of msg.choices) {
      controls.push(button(String(choice.label), () => choose(choice, controls)));
    }
    group.append(...controls);
    parts.push(group);
  }
  let turn;
  if (msg.requestLocation) {
    const b = button('Bagikan lokasi saya', () => shareLocation(b, controls, turn));
    controls.push(b);
    const actions = el('div', 'actions');
    actions.append(b);
    parts.push(actions);
  }
  turn = addTurn('bot', [...parts, timeEl(msg.at)]);
  activeControls = controls;
}

// The citizen's own messages, as the server recorded them: a reload draws the whole conversation.

const mine = new Set(); // messageIds whose bubble is on the page (drawn when sent, or replayed)

function showMyMessage(msg) {
  if (seen.has(msg.id)) return;
  seen.add(msg.id);
  if (typeof msg.messageId !== 'string' || mine.has(msg.messageId)) return;
  mine.add(msg.messageId);
  const bubble = el('div', 'msg me');
  renderText(bubble, String(msg.text ?? ''), false);
  addTurn('me', [bubble, timeEl(msg.at)]);
}

// If sending an answer fails, let the citizen answer again.
function answer(inbound, controls, fill) {
  setControls(controls, false);
  send(inbound, addMyTurn(fill)).then((ok) => {
    if (!ok && activeControls === controls) setControls(controls, true);
  });
}

function choose(choice, controls) {
  answer({ kind: 'choice', payload: choice.payload, label: String(choice.label) }, controls, (bubble) =>
    bubble.append(String(choice.label)),
  );
}

function shareLocation(b, controls, botTurn) {
  const reset = () => {
    b.textContent = 'Bagikan lokasi saya';
    b.disabled = activeControls !== controls; // a newer question may have arrived meanwhile
  };
  const fail = () => {
    reset();
    setNote(botTurn, 'Lokasi tidak dapat diambil. Bapak/Ibu dapat mengetikkan alamatnya saja.', true);
  };
  if (!navigator.geolocation) return fail();
  b.disabled = true;
  b.textContent = 'Mencari lokasi…';
  const found = ({ coords: { latitude, longitude } }) => {
    reset();
    setNote(botTurn, '');
    answer({ kind: 'location', latitude, longitude }, controls, (bubble) =>
      bubble.append(`📍 Lokasi dibagikan (${latitude.toFixed(5)}, ${longitude.toFixed(5)})`),
    );
  };
  navigator.geolocation.getCurrentPosition(found, fail, { enableHighAccuracy: true, timeout: 20000 });
}

// Sending

// One send at a time, so messages reach the server in order.
let queue = Promise.resolve();
function enqueue(job) {
  const result = queue.then(job);
  queue = result.catch(() => {});
  return result;
}

// Network errors and 5xx are retried with the SAME body: the server de-duplicates by messageId.
// Resolves to a response (status < 500), or null.
async function request(url, init, turn) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, init);
      if (res.status < 500) return res;
    } catch {
      // offline or connection dropped: retry
    }
    if (attempt === MAX_RETRIES) return null;
    if (turn) setNote(turn, 'mengirim ulang…');
    const delay = Math.min(1000 * 2 ** attempt, 15000) * (0.75 + Math.random() / 2);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function failureText(res) {
  // Never assume it is the citizen's connection: it may as well be our service.
  if (!res)
    return 'Mohon maaf, pesan belum terkirim karena gangguan jaringan atau layanan. Silakan tekan Kirim ulang.';
  const data = await res.json().catch(() => null);
  if (typeof data?.error?.message === 'string') return data.error.message;
  if (res.status === 429) return 'Terlalu banyak pesan. Mohon tunggu sebentar, lalu coba lagi.';
  return 'Mohon maaf, pesan ini belum dapat kami proses.';
}

// After a network failure, a 5xx or a rate limit, offer to try again (the message is kept).
async function reportFailure(turn, res, retry) {
  const text = await failureText(res);
  if (!turn) return notice(text);
  const again = () => {
    setNote(turn, 'mengirim…');
    enqueue(retry);
  };
  // 408: an upload the server stopped reading in time (a slow link); it may well go through now.
  const retryable = !res || res.status === 429 || res.status === 408;
  setNote(turn, text, true, retryable ? button('Kirim ulang', again, 'link') : null);
}

async function deliver(body, turn) {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
  const res = await request('/chat/messages', init, turn);
  if (res?.ok) {
    if (turn) setNote(turn, '');
    return true;
  }
  await reportFailure(turn, res, () => deliver(body, turn));
  return false;
}

// The id goes into `mine` before the post: its echo on the event stream must not draw a second bubble.
function newOwnMessageId() {
  const messageId = newMessageId();
  mine.add(messageId);
  return messageId;
}

function send(inbound, turn) {
  const body = JSON.stringify({ chatId, messageId: newOwnMessageId(), inbound });
  return enqueue(() => deliver(body, turn));
}

// Attachments

async function uploadThenSend(file, turn) {
  const url = `/chat/uploads?chatId=${encodeURIComponent(chatId)}`;
  const headers = { 'content-type': file.type, 'x-file-name': encodeURIComponent(file.name) };
  const res = await request(url, { method: 'POST', headers, body: file }, turn);
  const media = res?.ok ? await res.json().catch(() => null) : null;
  if (!media?.ref) {
    await reportFailure(turn, res?.ok ? null : res, () => uploadThenSend(file, turn));
    return false;
  }
  // The server takes the file's type and size from what it stored under `ref`.
  const { ref, fileName } = media;
  const inbound = { kind: 'media', media: { ref, fileName } };
  return deliver(JSON.stringify({ chatId, messageId: newOwnMessageId(), inbound }), turn);
}

function fileBubble(file, bubble) {
  if (!file.type.startsWith('image/')) return bubble.append(`📄 ${file.name}`);
  const img = el('img');
  img.alt = file.name;
  img.src = URL.createObjectURL(file);
  img.addEventListener('load', () => {
    URL.revokeObjectURL(img.src);
    scrollToEnd();
  });
  bubble.append(img, file.name);
}

function sendFile(file) {
  // The accept attribute is only a hint to the file picker.
  if (!FILE_TYPES.includes(file.type)) {
    return notice('Mohon maaf, lampiran hanya dapat berupa foto (JPEG/PNG) atau dokumen PDF.');
  }
  if (file.size > MAX_FILE) {
    return notice('Mohon maaf, ukuran berkas paling besar 10 MB. Silakan kirim berkas yang lebih kecil.');
  }
  const turn = addMyTurn((bubble) => fileBubble(file, bubble));
  setNote(turn, 'mengunggah…');
  enqueue(() => uploadThenSend(file, turn));
}

// Composer

function updateComposer() {
  input.style.height = 'auto'; // grow with the text, up to the CSS max-height
  input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
  const n = input.value.length;
  counter.hidden = n < MAX_TEXT - 400;
  counter.textContent = `${n}/${MAX_TEXT} karakter`;
  counter.classList.toggle('full', n >= MAX_TEXT);
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  updateComposer();
  send(
    { kind: 'text', text },
    addMyTurn((bubble) => renderText(bubble, text, false)),
  );
});

input.addEventListener('keydown', (event) => {
  // Shift+Enter is a new line; an Enter that confirms an IME composition must not send.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('send').click();
  }
});
input.addEventListener('input', updateComposer);

$('attach').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  const file = fileInput.files[0];
  fileInput.value = ''; // so that picking the same file again fires "change"
  if (file) sendFile(file);
});

$('new-chat').addEventListener('click', () => {
  const text = 'Mulai percakapan baru? Percakapan ini tidak dapat dibuka lagi di perangkat ini.';
  if (!confirm(`${text} Pastikan Bapak/Ibu sudah mencatat nomor laporan.`)) return;
  store.removeItem(startedKey);
  store.setItem(CHAT_KEY, newChatId());
  location.reload();
});

// Receiving

function setStatus(text) {
  const status = $('status');
  if (status.textContent !== text) status.textContent = text; // avoid repeated announcements
}

// Say hello once per conversation, after the stream is open so the greeting reaches us.
let starting = false;
function maybeStart() {
  if (starting || store.getItem(startedKey)) return;
  if (seen.size) return store.setItem(startedKey, '1'); // there is history already
  starting = true;
  send({ kind: 'start' }, null).then((ok) => {
    if (ok) store.setItem(startedKey, '1');
    else starting = false; // try again on the next "ready"
  });
}

function parse(event) {
  try {
    const msg = JSON.parse(event.data);
    return typeof msg?.id === 'string' ? msg : null;
  } catch {
    return null; // ignore a malformed event
  }
}

// The newest event id received. EventSource sends it (Last-Event-ID) when it reconnects by itself;
// a new EventSource cannot, so it names it in its URL: either way only what was missed is replayed.
let lastEventId = '';

// EventSource reconnects by itself after a dropped connection. An error answer (429: too many
// streams from this address, or the server full) closes it for good: then a new one is opened
// after 2 s, 4 s, 8 s … up to 60 s, each a little shorter at random, so that pages refused together
// do not all come back at the same moment.
const RECONNECT_MIN_MS = 2000;
const RECONNECT_MAX_MS = 60000;
// After five refusals in a row (half a minute or more), the status says so, and that we keep trying.
const FAILURES_SHOWN = 5;
let failures = 0;
let reconnectTimer = null;

function connect() {
  reconnectTimer = null;
  const after = lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : '';
  const events = new EventSource(`/chat/events?chatId=${encodeURIComponent(chatId)}${after}`);
  events.addEventListener('open', () => {
    failures = 0;
    setStatus('Terhubung');
  });
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED) return setStatus('Menyambung kembali…');
    failures++;
    setStatus(
      failures < FAILURES_SHOWN
        ? 'Menyambung kembali…'
        : 'Belum tersambung. Kami terus mencoba menyambung kembali…',
    );
    const delay = Math.min(RECONNECT_MIN_MS * 2 ** (failures - 1), RECONNECT_MAX_MS);
    reconnectTimer = setTimeout(connect, delay * (0.75 + Math.random() / 4));
  });
  // The bot's messages, and the citizen's own (one transcript, in order; each event id once).
  events.addEventListener('message', (event) => {
    const msg = parse(event);
    if (!msg) return;
    lastEventId = msg.id;
    showBotMessage(msg);
  });
  events.addEventListener('citizen', (event) => {
    const msg = parse(event);
    if (!msg) return;
    lastEventId = msg.id;
    showMyMessage(msg);
  });
  events.addEventListener('ready', maybeStart);
}

// Back online (a phone that lost its network): no need to wait for the next try.
addEventListener('online', () => {
  if (reconnectTimer === null) return;
  clearTimeout(reconnectTimer);
  connect();
});

connect();
updateComposer();
