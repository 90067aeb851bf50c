import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file types Aduan accepts, with the bytes each must start with (a declared type is never trusted alone). */
export const ATTACHMENT_TYPES: Readonly<Record<string, { ext: string; magic: readonly number[] }>> = {
  'image/jpeg': { ext: 'jpg', magic: [0xff, 0xd8, 0xff] },
  'image/png': { ext: 'png', magic: [0x89, 0x50, 0x4e, 0x47] },
  'application/pdf': { ext: 'pdf', magic: [0x25, 0x50, 0x44, 0x46] },
};

/** Largest attachment accepted, in bytes. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** A stored attachment's reference: `file:<sha256>.<ext>`, a name under `DATA_DIR/attachments`. */
export const STORED_REF = /^file:([a-f0-9]{64}\.(?:jpg|png|pdf))$/;

/** A stored file as the store knows it: its type follows from its checked content, its size from the disk. */
export interface StoredAttachment {
  ref: string;
  mimeType: string;
  size: number;
}

/** The type of each stored extension (the reverse of `ATTACHMENT_TYPES`). */
const TYPE_OF_EXT: ReadonlyMap<string, string> = new Map(
  Object.entries(ATTACHMENT_TYPES).map(([mimeType, { ext }]) => [ext, mimeType]),
);

/** Why a file was refused; `code` is stable for API errors. */
export class AttachmentRejected extends Error {
  constructor(
    readonly code: 'unsupported_type' | 'type_mismatch' | 'too_large' | 'empty_file',
    message: string,
  ) {
    super(message);
    this.name = 'AttachmentRejected';
  }
}

/**
 * Attachments on disk, named by the SHA-256 of their content: the same photo sent twice (or a
 * ticket job run twice) is stored once, and a name can never be chosen by a sender (no path
 * traversal by construction).
 */
export class AttachmentStore {
  constructor(readonly dir: string) {}

  /**
   * Checks and stores `bytes` declared as `mimeType`. A file stored already (the same photo from
   * another citizen, a job run twice) is not written again, but its modification time is set to
   * now: the attachment sweep counts a file's age from its last upload, and must not delete one
   * that a fresh draft has just referenced.
   * @throws AttachmentRejected when the type is not accepted, the content is not of that type, or it is too large
   */
  async put(bytes: Buffer, mimeType: string): Promise<StoredAttachment> {
    const type = ATTACHMENT_TYPES[mimeType.toLowerCase()];
    if (!type)
      throw new AttachmentRejected(
        'unsupported_type',
        `Accepted types: ${Object.keys(ATTACHMENT_TYPES).join(', ')}.`,
      );
    if (bytes.length === 0) throw new AttachmentRejected('empty_file', 'The file is empty.');
    if (bytes.length > MAX_ATTACHMENT_BYTES)
      throw new AttachmentRejected('too_large', `The file is larger than ${MAX_ATTACHMENT_BYTES} bytes.`);
    if (!type.magic.every((b, i) => bytes[i] === b))
      throw new AttachmentRejected('type_mismatch', `The file content is not ${mimeType}.`);
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${type.ext}`;
    const stored = { ref: `file:${name}`, mimeType: mimeType.toLowerCase(), size: bytes.length };
    if (await touchFile(join(this.dir, name))) return stored;
    await mkdir(this.dir, { recursive: true });
    // Write then rename: a crash mid-write never leaves a half file under the final name. The
    // temporary name is unique, so two uploads of the same file at once do not write one file.
    const tmp = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, join(this.dir, name));
    } catch (err) {
      // A full disk must not also keep the part written: it would stay there for good.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    return stored;
  }

  /**
   * Marks a stored file as just used (its modification time set to now) and describes it, as
   * {@link describe}; null when it is not there. The ticket worker calls it for each file of a
   * report before storing the ticket: the sweep then keeps the file for its whole grace period,
   * by which time the ticket (and with it the file's place in the kept set) exists.
   */
  async refresh(ref: string): Promise<StoredAttachment | null> {
    const touched = await this.touch(ref);
    // Touched: the sweep will not delete it. It may be putting the file back under its name at
    // this instant (it moves a file aside before a last look), so a miss is looked at again.
    for (let attempt = 0; ; attempt++) {
      const file = await this.describe(ref);
      if (file || !touched || attempt >= 3) return file;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Marks a stored file as just used (modification time now), for the sweep; false when it is not there. */
  async touch(ref: string): Promise<boolean> {
    const path = this.pathOf(ref);
    return path ? touchFile(path) : false;
  }

  /** Whether a stored reference names a file that is there. */
  async has(ref: string): Promise<boolean> {
    return (await this.describe(ref)) !== null;
  }

  /**
   * What the store recorded for a reference: the type its content was checked as (the name's
   * extension) and its size on disk; null when no such file was stored (or the ref is malformed).
   * A sender's own claims about a file are never used in its place.
   *
   * @example await store.describe('file:9f86…0f00.pdf') // { ref, mimeType: 'application/pdf', size: 48213 }
   */
  async describe(ref: string): Promise<StoredAttachment | null> {
    const name = STORED_REF.exec(ref)?.[1];
    const mimeType = name ? TYPE_OF_EXT.get(name.slice(name.lastIndexOf('.') + 1)) : undefined;
    if (!name || !mimeType) return null;
    const file = await stat(join(this.dir, name)).catch(() => null);
    return file?.isFile() ? { ref, mimeType, size: file.size } : null;
  }

  /** The path of a stored reference (for serving it to an agency), or null for a malformed one. */
  pathOf(ref: string): string | null {
    const name = STORED_REF.exec(ref)?.[1];
    return name ? join(this.dir, name) : null;
  }
}

/**
 * Sets a regular file's modification time to now; false when there is no such file or it cannot
 * be touched (the caller then writes it, or reports it missing).
 */
async function touchFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    const now = new Date();
    await utimes(path, now, now);
    return true;
  } catch {
    return false;
  }
}
