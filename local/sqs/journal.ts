import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeAllSync } from '../durable-file';
import type { QueueSettings } from './queue-attributes';

type JournalAttributes = Record<string, { t: string; s?: string; b?: string }>;

/**
 * One change to the local SQS endpoint's state, as a line of the journal. `msg` is a message as
 * sent (or, in a compacted journal, as it stands); the others change what an earlier line made.
 * Times are epoch milliseconds of the endpoint's clock.
 */
export type JournalRecord =
  | { op: 'queue'; name: string; createdAt: number; modifiedAt: number; settings: QueueSettings }
  | { op: 'dropq'; name: string }
  | {
      op: 'msg';
      q: string;
      id: string;
      body: string;
      attrs: JournalAttributes;
      sys: JournalAttributes;
      sender: string;
      sentAt: number;
      size: number;
      vis: number;
      n: number;
      first?: number;
      at?: number;
      /** Its visibility was set by ChangeMessageVisibility since the last receive. */
      held?: boolean;
      dls?: string;
    }
  | { op: 'recv'; q: string; id: string; n: number; first: number | undefined; at: number; vis: number }
  | { op: 'vis'; q: string; id: string; vis: number }
  | { op: 'del'; q: string; id: string }
  | { op: 'purge'; q: string; at: number }
  | { op: 'dlq'; q: string; to: string; id: string; at: number };

/** What the store records into. */
export interface JournalSink {
  append(record: JournalRecord): void;
}

const JOURNAL = 'journal.ndjson';
/** A compaction rewrites the journal once this much was appended since the last one (and twice what it left). */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/**
 * The local SQS endpoint's durability: an append-only journal (`<dir>/journal.ndjson`, one JSON
 * record a line). Each API call's changes are appended, and the call answers only after
 * `durable()`, i.e. after they were written and fdatasync'd, so an acknowledged SendMessage(Batch),
 * delete, visibility change or receive survives kill -9. Calls that answer meanwhile share the
 * next write and sync (group commit), so the cost is one fdatasync per burst, not per call.
 *
 * At start the journal is replayed and compacted (rewritten as the live queues and messages,
 * atomically); while running it is compacted again after 64 MiB appended (or twice the size
 * the last compaction left, when a backlog is bigger than that). A torn last line (the crash
 * hit mid-write, so nobody was answered for it) is ignored.
 */
export class FileJournal implements JournalSink {
  private handle: FileHandle | null = null;
  private pending: string[] = [];
  private appended = 0;
  private written = 0;
  private bytesSinceCompaction = 0;
  /** The size of the last compacted journal: a big backlog is not rewritten again and again. */
  private compactedBytes = 0;
  /** Set before the write loop starts and cleared by it as it ends, so no durable() call can miss it. */
  private pumping = false;
  private pumped: Promise<void> = Promise.resolve();
  private waiters: { upTo: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failed: unknown = null;

  private constructor(
    private readonly file: string,
    private readonly snapshot: () => Iterable<JournalRecord>,
    private readonly compactAfterBytes: number,
  ) {}

  /**
   * Reads `<dir>/journal.ndjson` into `state.apply` (in order), calls `state.loaded`, then
   * rewrites the journal compacted from `state.snapshot` and opens it for appending.
   */
  static async open(
    dir: string,
    state: { apply(record: JournalRecord): void; loaded(): void; snapshot(): Iterable<JournalRecord> },
    options: { compactAfterBytes?: number } = {},
  ): Promise<FileJournal> {
    mkdirSync(dir, { recursive: true });
    const journal = new FileJournal(join(dir, JOURNAL), () => state.snapshot(), options.compactAfterBytes ?? COMPACT_AFTER_BYTES);
    journal.replay((record) => state.apply(record));
    state.loaded();
    journal.compactSync();
    journal.handle = await open(journal.file, 'a');
    return journal;
  }

  append(record: JournalRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.appended += 1;
    this.bytesSinceCompaction += line.length;
  }

  /** Resolves once every record appended so far is on disk. */
  durable(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.written >= this.appended) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ upTo: this.appended, resolve, reject }));
    if (!this.pumping) {
      this.pumping = true;
      this.pumped = this.pump();
    }
    return done;
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    await this.pumped;
    if (this.pending.length > 0 && !this.failed) await this.durable().catch(() => undefined);
    await this.handle?.close();
    this.handle = null;
  }

  private async pump(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const upTo = this.appended;
        if (this.bytesSinceCompaction > Math.max(this.compactAfterBytes, 2 * this.compactedBytes)) {
          // The snapshot is taken now, synchronously, together with dropping what is pending (it
          // holds those changes); changes made during the awaits below go after it.
          this.pending = [];
          this.compactSync();
          const old = this.handle;
          this.handle = null;
          await old?.close();
          this.handle = await open(this.file, 'a');
        } else {
          const batch = this.pending.join('');
          this.pending = [];
          if (!this.handle) throw new Error('local SQS: the journal is closed');
          await this.handle.write(batch);
          await this.handle.datasync();
        }
        this.written = upTo;
        this.waiters = this.waiters.filter((w) => {
          if (w.upTo > upTo) return true;
          w.resolve();
          return false;
        });
      }
    } catch (error) {
      // A journal that cannot be written must not acknowledge anything again.
      this.failed = error;
      for (const w of this.waiters) w.reject(error);
      this.waiters = [];
    } finally {
      this.pumping = false;
    }
  }

  private replay(apply: (record: JournalRecord) => void): void {
    if (!existsSync(this.file)) return;
    const lines = readFileSync(this.file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch (error) {
        // Only the last line can be torn by a crash; anything else is a damaged file.
        if (i >= lines.length - 2) return;
        throw new Error(`${this.file}: line ${i + 1} is not a journal record`, { cause: error });
      }
      apply(record);
    });
  }

  /** Rewrites the journal as the current state: temporary file, fdatasync, rename, directory sync. */
  private compactSync(): void {
    const tmp = `${this.file}.compacting`;
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'w');
    try {
      let chunk: string[] = [];
      let size = 0;
      let total = 0;
      for (const record of this.snapshot()) {
        const line = `${JSON.stringify(record)}\n`;
        chunk.push(line);
        size += line.length;
        total += line.length;
        if (size > 1024 * 1024) {
          writeAllSync(fd, Buffer.from(chunk.join(''), 'utf8'));
          chunk = [];
          size = 0;
        }
      }
      writeAllSync(fd, Buffer.from(chunk.join(''), 'utf8'));
      fdatasyncSync(fd);
      this.compactedBytes = total;
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    syncDirectory(join(this.file, '..'));
    this.bytesSinceCompaction = 0;
  }
}
