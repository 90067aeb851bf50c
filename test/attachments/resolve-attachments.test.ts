import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachmentStore } from '../../src/attachments/attachment-store.ts';
import { createAttachmentResolver } from '../../src/attachments/resolve-attachments.ts';

const PDF = Buffer.from('%PDF-1.4\n% surat keterangan\n%%EOF\n');

describe('the ticket worker’s attachment resolver', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aduan-resolve-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a stored file with the type and size the store recorded, whatever the draft says', async () => {
    const store = new AttachmentStore(dir);
    const { ref } = await store.put(PDF, 'application/pdf');
    const resolve = createAttachmentResolver(store, new Map());
    // A draft saved while the web chat still took the type from the page.
    const missing = `file:${'c'.repeat(64)}.png`;
    expect(
      await resolve([
        { ref, mimeType: 'image/png', size: 1, fileName: 'foto.png' },
        { ref: missing, mimeType: 'image/png' },
      ]),
    ).toEqual({
      stored: [{ ref, mimeType: 'application/pdf', size: PDF.length, fileName: 'foto.png' }],
      rejected: [{ mimeType: 'image/png', reason: 'missing' }],
    });
  });
});
