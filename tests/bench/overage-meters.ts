/**
 * What `npm run bench:overage` counts: DynamoDB requests and capacity units of the in-process
 * table client (SDK middleware), and HTTP requests that reach the local Stripe endpoint (a
 * counting proxy on loopback in front of it). Both count only while switched on.
 */
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
/** AWS performs every item of a transaction twice (prepare, commit) and bills both. */
const TRANSACTIONS = new Set(['TransactWriteItemsCommand', 'TransactGetItemsCommand']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export interface CommandTally {
  requests: number;
  failed: number;
  /** Units as DynamoDB Local reported them (transactions doubled). */
  units: number;
  /**
   * Units as AWS bills them: the reported ones, but a read that found nothing (DynamoDB Local
   * reports 0) at the minimum of its kind, and a failed write (Local reports nothing) at 1 WCU.
   */
  billedUnits: number;
  /** Reads that DynamoDB Local reported at 0 units (nothing found). */
  emptyReads: number;
  /** Successful requests whose response carried no ConsumedCapacity. */
  unreported: number;
}

export interface DynamoCounts {
  readonly readRequests: number;
  readonly writeRequests: number;
  /** As DynamoDB Local reports them. */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** As AWS bills them (see `CommandTally.billedUnits`). */
  readonly billedReadUnits: number;
  readonly billedWriteUnits: number;
  readonly emptyReads: number;
  readonly failedRequests: number;
  readonly unreported: number;
  readonly byCommand: Readonly<Record<string, CommandTally>>;
  readonly failures: Readonly<Record<string, number>>;
}

/** Capacity units in a response: one object (single-item calls) or a list (batch, transact). */
const reportedUnits = (output: unknown): number | null => {
  if (!isRecord(output) || output.ConsumedCapacity === undefined) return null;
  const list: unknown[] = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
  if (list.length === 0) return null;
  return list.reduce<number>((n, c) => n + (isRecord(c) && typeof c.CapacityUnits === 'number' ? c.CapacityUnits : 0), 0);
};

/**
 * Counts the requests of one DynamoDB client and asks each for `ReturnConsumedCapacity: TOTAL`.
 * Attach it to `table().base`: the document client the repositories use shares that stack.
 */
export class DynamoMeter {
  private counting = false;
  private byCommand = new Map<string, CommandTally>();
  private failures = new Map<string, number>();

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        if (!this.counting || !(READS.has(command) || WRITES.has(command))) return next(args);
        const input: unknown = args.input;
        if (isRecord(input)) input.ReturnConsumedCapacity = 'TOTAL';
        const consistent = isRecord(input) && input.ConsistentRead === true;
        const tally = this.tally(command);
        tally.requests += 1;
        try {
          const result = await next(args);
          const reported = reportedUnits(result.output);
          if (reported === null) {
            tally.unreported += 1;
          } else {
            const units = TRANSACTIONS.has(command) ? 2 * reported : reported;
            tally.units += units;
            if (units === 0 && READS.has(command)) {
              // AWS: a read that returns nothing still consumes the minimum for its kind.
              tally.emptyReads += 1;
              tally.billedUnits += TRANSACTIONS.has(command) ? 2 : consistent ? 1 : 0.5;
            } else {
              tally.billedUnits += units;
            }
          }
          return result;
        } catch (error) {
          tally.failed += 1;
          // AWS: a write whose condition fails still consumes at least 1 WCU.
          if (WRITES.has(command)) tally.billedUnits += TRANSACTIONS.has(command) ? 2 : 1;
          const name = error instanceof Error ? error.name : 'unknown';
          this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
          throw error;
        }
      },
      { step: 'initialize', name: 'benchOverageDynamoMeter' },
    );
  }

  start(): void {
    this.byCommand = new Map();
    this.failures = new Map();
    this.counting = true;
  }

  stop(): DynamoCounts {
    this.counting = false;
    let readRequests = 0;
    let writeRequests = 0;
    let readUnits = 0;
    let writeUnits = 0;
    let billedReadUnits = 0;
    let billedWriteUnits = 0;
    let emptyReads = 0;
    let failedRequests = 0;
    let unreported = 0;
    for (const [command, t] of this.byCommand) {
      if (READS.has(command)) {
        readRequests += t.requests;
        readUnits += t.units;
        billedReadUnits += t.billedUnits;
      } else {
        writeRequests += t.requests;
        writeUnits += t.units;
        billedWriteUnits += t.billedUnits;
      }
      emptyReads += t.emptyReads;
      failedRequests += t.failed;
      unreported += t.unreported;
    }
    return {
      readRequests,
      writeRequests,
      readUnits,
      writeUnits,
      billedReadUnits,
      billedWriteUnits,
      emptyReads,
      failedRequests,
      unreported,
      byCommand: Object.fromEntries([...this.byCommand].map(([k, v]) => [k, { ...v }])),
      failures: Object.fromEntries(this.failures),
    };
  }

  private tally(command: string): CommandTally {
    let t = this.byCommand.get(command);
    if (!t) {
      t = { requests: 0, failed: 0, units: 0, billedUnits: 0, emptyReads: 0, unreported: 0 };
      this.byCommand.set(command, t);
    }
    return t;
  }
}

export interface StripeCounts {
  readonly total: number;
  /** `POST /v1/invoiceitems` and the like, ids replaced by `{id}`. */
  readonly byRoute: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface StripeCounter {
  /** Point `STRIPE_API_BASE` here. */
  readonly url: string;
  start(): void;
  /** Requests counted so far in this run. */
  peek(): number;
  stop(): StripeCounts;
  close(): Promise<void>;
}

const routeOf = (method: string, url: string): string => {
  const path = url.split('?')[0] ?? url;
  return `${method} ${path
    .split('/')
    .map((segment) => (/^[a-z]+_[A-Za-z0-9]+$/.test(segment) ? '{id}' : segment))
    .join('/')}`;
};

/**
 * A pass-through proxy on loopback in front of the local Stripe endpoint that counts the API
 * requests (`/v1/...`) reaching it while switched on: the Stripe calls as Stripe would see and
 * rate-limit them, SDK retries included.
 */
export const startStripeCounter = async (target: string): Promise<StripeCounter> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counting = false;
  let routes = new Map<string, number>();
  let statuses = new Map<string, number>();
  let total = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const counted = counting && url.startsWith('/v1/');
    if (counted) {
      total += 1;
      bump(routes, routeOf(req.method ?? 'GET', url));
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: { ...req.headers, host: upstream.host }, agent },
      (answer) => {
        if (counted) bump(statuses, String(answer.statusCode ?? 0));
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (counted) bump(statuses, 'proxy-error');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench Stripe proxy: ${error.message}`);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    start: () => {
      routes = new Map();
      statuses = new Map();
      total = 0;
      counting = true;
    },
    peek: () => total,
    stop: () => {
      counting = false;
      return {
        total: [...routes.values()].reduce((a, b) => a + b, 0),
        byRoute: Object.fromEntries(routes),
        byStatus: Object.fromEntries(statuses),
      };
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
};

/** Runs `task` over `items` with at most `concurrency` in flight; rejects with the first failure. */
export const inPool = async <T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const index = next;
      next += 1;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
};
