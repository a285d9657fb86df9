import { randomUUID } from 'node:crypto';
import {
  invalidParameter,
  purgeQueueInProgress,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleIsInvalid,
} from './errors';
import type { JournalRecord, JournalSink } from './journal';
import { type Attributes, md5Hex, md5OfAttributes } from './message-attributes';
import { applyAttributes, DEFAULT_SETTINGS, firstDifference, type QueueSettings } from './queue-attributes';

/** One message in a queue. Times are epoch milliseconds of the endpoint's clock. */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: Attributes;
  readonly md5OfAttributes: string | undefined;
  readonly systemAttributes: Attributes;
  readonly senderId: string;
  readonly sentAt: number;
  /** Body plus attribute bytes: what counts against MaximumMessageSize and for billing. */
  readonly size: number;
  /** Until then it is delayed (never received) or in flight (received). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The receipt handle of the latest receive; older ones no longer act on the message. */
  receipt: string | undefined;
  receivedAt: number | undefined;
  /**
   * Its consumer set the visibility itself (ChangeMessageVisibility, e.g. a retry backoff) since
   * the last receive: after a restart it stays hidden until then, unlike a plain in-flight message.
   */
  visibilityChanged: boolean;
  deadLetterSourceArn: string | undefined;
}

export interface MessageDraft {
  readonly body: string;
  readonly attributes: Attributes;
  readonly systemAttributes: Attributes;
  readonly size: number;
  readonly delaySeconds: number | undefined;
  readonly senderId: string;
}

const MAX_VISIBILITY_MS = 43_200_000;
const PURGE_INTERVAL_MS = 60_000;

export class Queue {
  readonly messages = new Map<string, StoredMessage>();
  lastModifiedAt: number;
  lastPurgeAt: number | undefined;
  private inSentOrder = true;
  private newestSentAt = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly arn: string,
    /** The URL depends on the endpoint's port, known only once it listens (a restored queue exists before). */
    private readonly urlOf: () => string,
    public settings: QueueSettings,
    readonly createdAt: number,
  ) {
    this.lastModifiedAt = createdAt;
  }

  get url(): string {
    return this.urlOf();
  }

  counts(now: number): { visible: number; inFlight: number; delayed: number } {
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible += 1;
      // Received (even before a restart, whose receipt handles are gone) means in flight, else delayed.
      else if (m.receivedAt === undefined) delayed += 1;
      else inFlight += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Drops messages older than the retention period (counted from when they were first sent). */
  expire(now: number): void {
    const oldest = now - this.settings.messageRetentionPeriod * 1000;
    for (const [id, m] of this.messages) {
      if (m.sentAt <= oldest) this.messages.delete(id);
      // Sent in order, so the rest are younger; dead letters arrive out of order and need a full scan.
      else if (this.inSentOrder) break;
    }
  }

  /** Adds a message; one sent earlier than the newest (a dead letter) turns off the ordered expiry. */
  add(message: StoredMessage): void {
    if (message.sentAt < this.newestSentAt) this.inSentOrder = false;
    this.newestSentAt = Math.max(this.newestSentAt, message.sentAt);
    this.messages.set(message.id, message);
  }

  /** The next instant a hidden message turns visible, for long polls to wake at. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    return next;
  }

  /** Wakes long polls: something may have become receivable. */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves on the next change, after `ms`, or when `signal` aborts, whichever comes first. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.listeners.add(done);
      signal.addEventListener('abort', done);
    });
  }
}

interface ReceiptParts {
  readonly queueArn: string;
  readonly messageId: string;
}

const encodeReceipt = (queueArn: string, messageId: string): string =>
  Buffer.from(`${queueArn}\n${messageId}\n${randomUUID()}`, 'utf8').toString('base64');

const decodeReceipt = (handle: string): ReceiptParts | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const [queueArn, messageId, nonce, ...rest] = Buffer.from(handle, 'base64').toString('utf8').split('\n');
  if (!queueArn || !messageId || !nonce || rest.length > 0) return undefined;
  return { queueArn, messageId };
};

export interface StoreOptions {
  /** `http://host:port`, known once the server listens. */
  readonly baseUrl: () => string;
  readonly region: string;
  readonly accountId: string;
  readonly now: () => number;
  /**
   * Where each change is recorded (`durable()` then makes it survive a crash); without one the
   * queues live in memory only.
   */
  readonly journal?: JournalSink;
}

/**
 * The queues and their messages, in memory. Every method runs synchronously, so each API call
 * sees and leaves a consistent state; long polls wait outside it (see `Queue.waitForChange`).
 */
export class SqsStore {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly options: StoreOptions) {}

  get now(): number {
    return this.options.now();
  }

  private log(record: JournalRecord): void {
    this.options.journal?.append(record);
  }

  urlOf(name: string): string {
    return `${this.options.baseUrl()}/${this.options.accountId}/${name}`;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  list(prefix = ''): Queue[] {
    return [...this.queues.values()].filter((q) => q.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  }

  byName(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  /** A queue URL from any host (localhost or 127.0.0.1, another port): the path names the queue. */
  byUrl(url: string): Queue {
    const path = URL.canParse(url) ? new URL(url).pathname : url;
    const m = /^\/?(\d{12})\/([^/]+)\/?$/.exec(path);
    if (!m?.[2] || m[1] !== this.options.accountId) throw queueDoesNotExist();
    return this.byName(m[2]);
  }

  byArn(arn: string): Queue | undefined {
    return [...this.queues.values()].find((q) => q.arn === arn);
  }

  create(name: string, attributes: Readonly<Record<string, string>>): Queue {
    const settings = applyAttributes(DEFAULT_SETTINGS, attributes, (arn) => this.byArn(arn) !== undefined);
    const existing = this.queues.get(name);
    if (existing) {
      const requested = applyAttributes(existing.settings, attributes, () => true);
      const differs = firstDifference(existing.settings, requested);
      if (differs) throw queueNameExists(differs);
      return existing;
    }
    const queue = this.newQueue(name, settings, this.now);
    this.log(queueRecord(queue));
    return queue;
  }

  private newQueue(name: string, settings: QueueSettings, createdAt: number): Queue {
    const queue = new Queue(name, this.arnOf(name), () => this.urlOf(name), settings, createdAt);
    this.queues.set(name, queue);
    return queue;
  }

  setAttributes(queue: Queue, attributes: Readonly<Record<string, string>>): void {
    queue.settings = applyAttributes(queue.settings, attributes, (arn) => this.byArn(arn) !== undefined);
    queue.lastModifiedAt = this.now;
    this.log(queueRecord(queue));
    queue.changed();
  }

  delete(queue: Queue): void {
    this.queues.delete(queue.name);
    this.log({ op: 'dropq', name: queue.name });
    queue.changed();
  }

  send(queue: Queue, draft: MessageDraft): StoredMessage {
    const now = this.now;
    queue.expire(now);
    const message: StoredMessage = {
      id: randomUUID(),
      body: draft.body,
      md5OfBody: md5Hex(draft.body),
      attributes: draft.attributes,
      md5OfAttributes: md5OfAttributes(draft.attributes),
      systemAttributes: draft.systemAttributes,
      senderId: draft.senderId,
      sentAt: now,
      size: draft.size,
      visibleAt: now + (draft.delaySeconds ?? queue.settings.delaySeconds) * 1000,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receipt: undefined,
      receivedAt: undefined,
      visibilityChanged: false,
      deadLetterSourceArn: undefined,
    };
    queue.add(message);
    this.log(messageRecord(queue.name, message));
    queue.changed();
    return message;
  }

  /**
   * Takes up to `max` visible messages, makes them invisible for `visibilityTimeout` seconds and
   * gives each a new receipt handle. A message that has already been received maxReceiveCount
   * times moves to the dead-letter queue instead of being received again (keeping its id, body,
   * attributes, sent time and receive count, plus DeadLetterQueueSourceArn), as SQS does.
   */
  receive(queue: Queue, max: number, visibilityTimeout: number | undefined): StoredMessage[] {
    const now = this.now;
    queue.expire(now);
    const taken: StoredMessage[] = [];
    const policy = queue.settings.redrivePolicy;
    const deadLetter = policy ? this.byArn(policy.deadLetterTargetArn) : undefined;
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (policy && deadLetter && deadLetter !== queue && message.receiveCount >= policy.maxReceiveCount) {
        this.moveToDeadLetter(queue, deadLetter, message, now);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receivedAt = now;
      message.visibilityChanged = false;
      message.receipt = encodeReceipt(queue.arn, message.id);
      message.visibleAt = now + (visibilityTimeout ?? queue.settings.visibilityTimeout) * 1000;
      this.log({ op: 'recv', q: queue.name, id: message.id, n: message.receiveCount, first: message.firstReceivedAt, at: now, vis: message.visibleAt });
      taken.push(message);
    }
    return taken;
  }

  private moveToDeadLetter(source: Queue, target: Queue, message: StoredMessage, now: number, record = true): void {
    source.messages.delete(message.id);
    target.add({ ...message, visibleAt: now, receipt: undefined, receivedAt: undefined, visibilityChanged: false, deadLetterSourceArn: source.arn });
    if (record) this.log({ op: 'dlq', q: source.name, to: target.name, id: message.id, at: now });
    target.changed();
  }

  /**
   * The message a receipt handle names, or why not: `invalid` (not a handle of this queue),
   * `gone` (deleted or expired), `stale` (the message was received again since, so the handle no
   * longer acts on it; SQS documents that such a delete "might not" delete).
   */
  private resolve(queue: Queue, handle: string): StoredMessage | 'gone' | 'stale' {
    const parts = decodeReceipt(handle);
    if (!parts || parts.queueArn !== queue.arn) throw receiptHandleIsInvalid(handle);
    const message = queue.messages.get(parts.messageId);
    if (!message) return 'gone';
    return message.receipt === handle ? message : 'stale';
  }

  /**
   * DeleteMessage. It succeeds for a handle whose message is already gone, and for a handle
   * whose visibility timeout has run out as long as nobody has received the message since (both
   * checked against SQS); with a handle superseded by a newer receive it succeeds without
   * deleting, the strict reading of "the request will succeed, but the message might not be
   * deleted", so consumers that delete late see the duplicate they would risk in AWS.
   */
  deleteMessage(queue: Queue, handle: string): void {
    const found = this.resolve(queue, handle);
    if (typeof found === 'string') return;
    queue.messages.delete(found.id);
    this.log({ op: 'del', q: queue.name, id: found.id });
    queue.changed();
  }

  /**
   * ChangeMessageVisibility: counts from now, 0 makes the message visible at once. The total
   * since the receive may not pass 12 hours. A deleted message or a superseded handle is refused
   * like SQS refuses it; a message whose timeout already ran out is left as it is.
   */
  changeVisibility(queue: Queue, handle: string, timeoutSeconds: number): void {
    const now = this.now;
    const found = this.resolve(queue, handle);
    if (typeof found === 'string') {
      throw invalidParameter('ReceiptHandle', handle, 'Message does not exist or is not available for visibility timeout change.');
    }
    if (found.visibleAt <= now) return;
    const until = now + timeoutSeconds * 1000;
    if (found.receivedAt !== undefined && until - found.receivedAt > MAX_VISIBILITY_MS) {
      throw invalidParameter('VisibilityTimeout', timeoutSeconds, 'Total VisibilityTimeout for the message is beyond the limit [43200 seconds]');
    }
    found.visibleAt = until;
    found.visibilityChanged = true;
    this.log({ op: 'vis', q: queue.name, id: found.id, vis: until });
    if (timeoutSeconds === 0) queue.changed();
  }

  purge(queue: Queue): void {
    const now = this.now;
    if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS) throw purgeQueueInProgress(queue.name);
    queue.lastPurgeAt = now;
    queue.messages.clear();
    this.log({ op: 'purge', q: queue.name, at: now });
    queue.changed();
  }

  /**
   * Replays one journal record (at start, before any request): the same change the live call
   * made, without recording it again. Records about a queue or message that is gone are skipped
   * (a message may have expired, a queue been deleted).
   */
  apply(record: JournalRecord): void {
    switch (record.op) {
      case 'queue': {
        const queue = this.queues.get(record.name) ?? this.newQueue(record.name, record.settings, record.createdAt);
        queue.settings = record.settings;
        queue.lastModifiedAt = record.modifiedAt;
        return;
      }
      case 'dropq':
        this.queues.delete(record.name);
        return;
      case 'msg':
        this.queues.get(record.q)?.add(messageOf(record));
        return;
      case 'recv': {
        const message = this.queues.get(record.q)?.messages.get(record.id);
        if (!message) return;
        message.receiveCount = record.n;
        message.firstReceivedAt = record.first;
        message.receivedAt = record.at;
        message.visibleAt = record.vis;
        message.visibilityChanged = false;
        return;
      }
      case 'vis': {
        const message = this.queues.get(record.q)?.messages.get(record.id);
        if (!message) return;
        message.visibleAt = record.vis;
        message.visibilityChanged = true;
        return;
      }
      case 'del':
        this.queues.get(record.q)?.messages.delete(record.id);
        return;
      case 'purge': {
        const queue = this.queues.get(record.q);
        if (!queue) return;
        queue.lastPurgeAt = record.at;
        queue.messages.clear();
        return;
      }
      case 'dlq': {
        const source = this.queues.get(record.q);
        const target = this.queues.get(record.to);
        const message = source?.messages.get(record.id);
        if (!source || !target || !message) return;
        this.moveToDeadLetter(source, target, message, record.at, false);
        return;
      }
    }
  }

  /**
   * After a restart: the consumers that were processing received messages are gone with the old
   * process, so what was in flight is visible again now (as its visibility timeout would have
   * made it, only sooner), its receive count kept. A message whose consumer set its visibility
   * itself (ChangeMessageVisibility: a retry backoff) stays hidden until the time it chose, as in
   * SQS; delayed messages stay delayed. Old receipt handles no longer act on anything.
   */
  releaseInFlight(): void {
    const now = this.now;
    for (const queue of this.queues.values()) {
      queue.expire(now);
      for (const message of queue.messages.values()) {
        if (message.receivedAt !== undefined && message.visibleAt > now && !message.visibilityChanged) message.visibleAt = now;
        message.receipt = undefined;
      }
    }
  }

  /** The whole state as journal records: what a compacted journal holds. */
  *snapshot(): Generator<JournalRecord> {
    for (const queue of this.queues.values()) yield queueRecord(queue);
    for (const queue of this.queues.values()) for (const message of queue.messages.values()) yield messageRecord(queue.name, message);
  }
}

const queueRecord = (queue: Queue): JournalRecord => ({
  op: 'queue',
  name: queue.name,
  createdAt: queue.createdAt,
  modifiedAt: queue.lastModifiedAt,
  settings: queue.settings,
});

const attributesToJournal = (attributes: Attributes): Record<string, { t: string; s?: string; b?: string }> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, v]) => [name, { t: v.dataType, ...(v.binaryValue ? { b: v.binaryValue.toString('base64') } : { s: v.stringValue ?? '' }) }]),
  );

const attributesFromJournal = (attributes: Record<string, { t: string; s?: string; b?: string }>): Attributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, v]) => [
      name,
      { dataType: v.t, ...(v.b !== undefined ? { binaryValue: Buffer.from(v.b, 'base64') } : { stringValue: v.s ?? '' }) },
    ]),
  );

const messageRecord = (queueName: string, m: StoredMessage): JournalRecord => ({
  op: 'msg',
  q: queueName,
  id: m.id,
  body: m.body,
  attrs: attributesToJournal(m.attributes),
  sys: attributesToJournal(m.systemAttributes),
  sender: m.senderId,
  sentAt: m.sentAt,
  size: m.size,
  vis: m.visibleAt,
  n: m.receiveCount,
  ...(m.firstReceivedAt === undefined ? {} : { first: m.firstReceivedAt }),
  ...(m.receivedAt === undefined ? {} : { at: m.receivedAt }),
  ...(m.visibilityChanged ? { held: true } : {}),
  ...(m.deadLetterSourceArn === undefined ? {} : { dls: m.deadLetterSourceArn }),
});

const messageOf = (r: Extract<JournalRecord, { op: 'msg' }>): StoredMessage => {
  const attributes = attributesFromJournal(r.attrs);
  return {
    id: r.id,
    body: r.body,
    md5OfBody: md5Hex(r.body),
    attributes,
    md5OfAttributes: md5OfAttributes(attributes),
    systemAttributes: attributesFromJournal(r.sys),
    senderId: r.sender,
    sentAt: r.sentAt,
    size: r.size,
    visibleAt: r.vis,
    receiveCount: r.n,
    firstReceivedAt: r.first,
    receipt: undefined,
    receivedAt: r.at,
    visibilityChanged: r.held === true,
    deadLetterSourceArn: r.dls,
  };
};
