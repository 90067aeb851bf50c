import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachmentStore } from '../../src/attachments/attachment-store.ts';

/** When on, the store's write fails halfway, as on a disk that fills up mid-file. */
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    writeFile: (async (path: string, data: Buffer, ...rest: []) => {
      if (!disk.full) return real.writeFile(path, data, ...rest);
      await real.writeFile(path, data.subarray(0, 4));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof real.writeFile,
  };
});

const PDF = Buffer.from('%PDF-1.4\n% a tiny document\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('png'),
]);

describe('AttachmentStore', () => {
  let dir: string;
  let store: AttachmentStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aduan-attachments-'));
    store = new AttachmentStore(dir);
    disk.full = false;
  });
  afterEach(async () => {
    disk.full = false;
    await rm(dir, { recursive: true, force: true });
  });

  it('removes the part written when a write fails, and leaves the folder as it was', async () => {
    disk.full = true;
    await expect(store.put(PNG, 'image/png')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the written file when the rename fails', async () => {
    const { ref } = await store.put(PNG, 'image/png');
    const name = ref.slice('file:'.length);
    // Something that cannot be replaced stands under the PDF's final name: a folder with a file in it.
    const pdfName = (await new AttachmentStore(join(dir, 'probe')).put(PDF, 'application/pdf')).ref.slice(5);
    await rm(join(dir, 'probe'), { recursive: true });
    await mkdir(join(dir, pdfName));
    await writeFile(join(dir, pdfName, 'x'), 'x');
    await expect(store.put(PDF, 'application/pdf')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual([name, pdfName].sort());
  });

  it('describes a stored file by what it recorded: the checked type and the size on disk', async () => {
    const pdf = await store.put(PDF, 'application/pdf');
    expect(await store.describe(pdf.ref)).toEqual({
      ref: pdf.ref,
      mimeType: 'application/pdf',
      size: PDF.length,
    });
    const png = await store.put(PNG, 'IMAGE/PNG');
    expect(await store.describe(png.ref)).toEqual({ ref: png.ref, mimeType: 'image/png', size: PNG.length });
    // Never uploaded, or not a ref at all.
    for (const ref of [`file:${'a'.repeat(64)}.pdf`, 'file:../x.pdf', 'telegram:abc', ''])
      expect(await store.describe(ref), ref).toBeNull();
    expect(await store.has(pdf.ref)).toBe(true);
    expect(await store.has(`file:${'b'.repeat(64)}.png`)).toBe(false);
  });
});
