import express, { type Router } from 'express';
import type { Redis } from 'ioredis';
import { requireToken } from '../../http/admin-auth.ts';
import type { Keys } from '../../redis/keys.ts';
import { qrDataUrl } from './whatsapp-qr.ts';

/** The admin page that shows the WhatsApp state and, while a number waits to be linked, its QR code. */
export const WHATSAPP_ADMIN_PATH = '/admin/whatsapp';

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STATES: Record<string, string> = {
  none: 'Tidak ada proses yang memegang sesi WhatsApp. / No process holds the WhatsApp session.',
  starting: 'Membuka WhatsApp Web… / Starting WhatsApp Web…',
  qr: 'Pindai kode QR ini dengan ponsel nomor layanan: WhatsApp › Perangkat tertaut › Tautkan perangkat. / Scan this code with the service number’s phone: WhatsApp › Linked devices › Link a device.',
  authenticated: 'Tertaut, sedang memuat… / Linked, loading…',
  ready: 'Terhubung dan siap. / Connected and ready.',
  reconnecting: 'Terputus, menyambung kembali… / Disconnected, reconnecting…',
};

/**
 * `GET /admin/whatsapp`, protected by `ADMIN_TOKEN` (compared in constant time). Reads the state the
 * session holder keeps in Redis, so any process shows it. The QR code is drawn here as a PNG data
 * URL (the CSP allows `data:` images; there is no script). The page reloads itself every 5 s with a
 * meta refresh, as a QR code changes every 20 seconds or so.
 */
export function whatsappAdminRoutes(options: { redis: Redis; keys: Keys; adminToken: string }): Router {
  const router = express.Router();
  router.get(WHATSAPP_ADMIN_PATH, requireToken([options.adminToken]), async (_req, res) => {
    const status = await options.redis.hgetall(options.keys.whatsappStatus);
    const state = status.state ?? 'none';
    const image =
      state === 'qr' && status.qr
        ? `<img src="${await qrDataUrl(status.qr)}" alt="WhatsApp QR code" width="320" height="320">`
        : '';
    res.set('Cache-Control', 'no-store');
    res.type('html').send(`<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aduan · WhatsApp</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>WhatsApp</h1>
<p data-state="${escapeHtml(state)}">${escapeHtml(STATES[state] ?? state)}</p>
${image}
</body></html>`);
  });
  return router;
}
