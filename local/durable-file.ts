import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Crash-safe file writes for the local stack's state (`.data/`): the new content goes to a
 * temporary file that is fsync'd, then renamed over the old one, then the directory is fsync'd
 * so the rename itself survives. A kill -9 (or a power cut) at any point leaves either the old
 * file or the new one, never half of one.
 */

let writes = 0;
/** A temporary name no other write uses, even two writers of one file in one process. */
const tempOf = (file: string): string => join(dirname(file), `.${basename(file)}.${process.pid}.${(writes += 1)}.tmp`);

/** Deletes the temporary files of writes to `file` that a crash cut off (they were never renamed, so never the state). */
export const removeStaleTemps = (file: string): void => {
  const dir = dirname(file);
  if (!existsSync(dir)) return;
  const prefix = `.${basename(file)}.`;
  for (const name of readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
};

/** fsync a directory so a rename or a new file in it is durable (Linux and macOS allow it; Windows does not). */
export const syncDirectory = (dir: string): void => {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not possible on this platform: the rename is still atomic, only not yet forced to disk.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/** `writeSync` may write less than asked; this loops until every byte is written. */
export const writeAllSync = (fd: number, bytes: Buffer): void => {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
};

/** Writes `data` to `file` durably and atomically, blocking (small files: the clock, a snapshot at close). */
export const writeFileDurablySync = (file: string, data: string | Buffer): void => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempOf(file);
  const fd = openSync(tmp, 'w');
  try {
    writeAllSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDirectory(dirname(file));
};

/** Writes `data` to `file` durably and atomically, off the event loop (the I/O runs in libuv's pool). */
export const writeFileDurably = async (file: string, data: string | Buffer): Promise<void> => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempOf(file);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  syncDirectory(dirname(file));
};
