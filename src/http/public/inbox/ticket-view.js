// The parts of one ticket's detail: facts, attachments, deadlines, history. Each renders into the
// element it is given; every string from a ticket goes in as text.
import { el, formatDate, formatDay, labelOf, meta, statusLabel } from './format.js';

const TYPES = {
  pengaduan: 'Pengaduan',
  aspirasi: 'Aspirasi',
  permintaan_informasi: 'Permintaan informasi',
};
const CHANNELS = { web: 'Web chat', telegram: 'Telegram', whatsapp: 'WhatsApp', open311: 'Open311' };

/** The facts of a ticket as a definition list. */
export function renderMeta(t, dl) {
  const rows = [
    ['Jenis', TYPES[t.type] ?? t.type],
    ['Kategori', labelOf(meta.categories, t.category)],
    ['Wilayah', labelOf(meta.regions, t.region)],
    ['Instansi', labelOf(meta.agencies, t.agencyId), 'span2'],
    ['Diterima', formatDate(t.createdAt)],
    ['Diperbarui', formatDate(t.updatedAt)],
  ];
  if (t.incidentDate) rows.push(['Tanggal kejadian', formatDay(t.incidentDate)]);
  const reporter = t.reporter
    ? `${CHANNELS[t.reporter.channel] ?? t.reporter.channel}${t.reporter.reachable === false ? ' (tidak dapat dihubungi)' : ''}`
    : 'Anonim — identitas tidak ditampilkan';
  rows.push(['Pelapor', reporter]);
  if (t.rating) rows.push(['Penilaian pelapor', `${t.rating} dari 5`]);
  dl.replaceChildren();
  for (const [term, value, className] of rows) {
    // Agency names run long ("Dinas Pekerjaan Umum, Perumahan dan …"): they get two columns.
    const div = el('div', className);
    div.append(el('dt', null, term), el('dd', null, value));
    dl.append(div);
  }
  if (t.location) dl.append(locationRow(t.location));
}

function locationRow(location) {
  const div = el('div', 'wide');
  const dd = el('dd');
  if (location.address) dd.append(el('span', null, location.address));
  const { latitude: lat, longitude: lon } = location;
  if (Number.isFinite(lat) && Number.isFinite(lon)) {
    // Built from two numbers only, so the link cannot carry anything the reporter typed.
    const a = el('a', 'map', `${lat.toFixed(5)}, ${lon.toFixed(5)} (peta)`);
    a.href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    if (location.address) dd.append(' · ');
    dd.append(a);
  }
  div.append(el('dt', null, 'Lokasi'), dd);
  return div;
}

function formatSize(bytes) {
  if (bytes == null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const KINDS = { 'image/jpeg': 'Foto JPEG', 'image/png': 'Gambar PNG', 'application/pdf': 'Dokumen PDF' };

/** One download button per attachment (`onDownload` fetches it), and the files that were refused. */
export function renderAttachments(t, list, rejectedList, onDownload) {
  list.replaceChildren(
    ...t.attachments.map((a) => {
      const li = el('li');
      const b = el('button', 'file', `Unduh lampiran ${a.index + 1}`);
      b.type = 'button';
      b.addEventListener('click', () => onDownload(t.trackingId, a, b));
      const info = [KINDS[a.mimeType] ?? a.mimeType, formatSize(a.size), a.fileName].filter(Boolean);
      li.append(b, el('span', 'hint', info.join(' · ')));
      return li;
    }),
  );
  const rejected = t.rejectedAttachments ?? [];
  rejectedList.replaceChildren(
    ...rejected.map((r) => el('li', 'hint', `Tidak tersimpan: ${r.fileName ?? r.mimeType} (${r.reason})`)),
  );
  if (t.attachments.length === 0 && rejected.length === 0)
    list.append(el('li', 'hint', 'Tidak ada lampiran.'));
}

const STAGES = [
  ['verification', 'Verifikasi & penerusan'],
  ['firstResponse', 'Tanggapan pertama'],
  ['completion', 'Penyelesaian'],
];

/** The three SP4N-LAPOR! deadlines, each due, met, running, late or not yet started. */
export function renderDeadlines(deadlines, list) {
  list.replaceChildren(
    ...STAGES.map(([key, label]) => {
      const d = deadlines?.[key];
      let stateText = 'Belum berlaku';
      let stateClass = 'muted';
      if (d?.overdue) [stateText, stateClass] = ['Lewat tenggat', 'late'];
      else if (d?.metAt) [stateText, stateClass] = [`Terpenuhi ${formatDate(d.metAt)}`, 'met'];
      else if (d) [stateText, stateClass] = ['Berjalan', 'open'];
      const li = el('li', `stage ${stateClass}`);
      // A deadline is a working day: due by its end, so it is shown without a time.
      li.append(
        el('span', 'stage-name', label),
        el('span', 'stage-due', d ? `Batas ${formatDay(d.due)}` : '—'),
        el('span', 'state', stateText),
      );
      return li;
    }),
  );
}

const ACTORS = { system: 'Sistem', reporter: 'Pelapor', coordinator: 'Koordinator' };

function actorName(actor) {
  if (actor.kind === 'agency') return labelOf(meta.agencies, actor.id);
  return ACTORS[actor.kind] ?? actor.kind;
}

/** What one event says: a heading and, for a note, who may read it. */
function describe(event) {
  switch (event.type) {
    case 'created':
      return { what: 'Laporan diterima' };
    case 'status_changed':
      return {
        what: `Status: ${statusLabel(event.from)} → ${statusLabel(event.to)}`,
        noteLabel: 'Catatan untuk pelapor',
      };
    case 'reply':
      return { what: 'Balasan kepada pelapor' };
    case 'reporter_message':
      return { what: 'Tambahan dari pelapor' };
    case 'note':
      return { what: 'Catatan internal', internal: true };
    case 'rerouted': {
      const route = `${labelOf(meta.agencies, event.fromAgencyId)} → ${labelOf(meta.agencies, event.agencyId)}`;
      // Passed on by the agency itself ("bukan wewenang", with its reason), or forwarded by the coordinator.
      return event.actor.kind === 'agency'
        ? { what: `Bukan wewenang: ${route}`, noteLabel: 'Alasan' }
        : { what: `Disposisi: ${route}`, noteLabel: 'Catatan disposisi' };
    }
    case 'delivery_failed':
      return { what: 'Pemberitahuan ke pelapor gagal terkirim', warn: true };
    case 'reporter_erased':
      return { what: 'Data pelapor dihapus atas permintaannya (UU PDP); laporan tetap tersimpan' };
    default:
      return { what: event.type };
  }
}

/** The history, newest first; internal notes are marked as never shown to the reporter. */
export function renderHistory(events, list) {
  list.replaceChildren(
    ...[...events].reverse().map((event) => {
      const d = describe(event);
      const li = el('li', `event e-${event.type}${d.internal ? ' internal' : ''}${d.warn ? ' warn' : ''}`);
      const head = el('p', 'event-head');
      const time = el('time', null, formatDate(event.at));
      time.dateTime = event.at;
      head.append(el('strong', null, d.what));
      if (d.internal) head.append(el('span', 'badge internal-tag', 'Internal — tidak terlihat oleh pelapor'));
      head.append(time);
      li.append(head, el('p', 'actor', actorName(event.actor)));
      if (event.note) {
        const note = el('p', 'prose');
        if (d.noteLabel) note.append(el('span', 'hint', `${d.noteLabel}: `));
        note.append(event.note);
        li.append(note);
      }
      return li;
    }),
  );
}
