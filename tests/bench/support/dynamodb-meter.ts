import {
  type AttributeValue,
  type BatchWriteItemCommandInput,
  type DeleteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type PutItemCommandInput,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../../../contracts/table';
import { itemBytes, writeUnitsFor } from './item-size';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
/** AWS performs two underlying reads or writes of every item in a transaction (prepare and commit). */
const TRANSACTION_FACTOR = 2;
/** What AWS bills a read that finds nothing (DynamoDB Local reports 0): the minimum for its kind. */
const EMPTY_READ_UNITS = { eventual: 0.5, consistent: 1, transactional: 2 } as const;

export interface CommandCount {
  calls: number;
  failed: number;
  /** Units as the totals count them: a write's as AWS bills them (`writeUnits`), a read's as reported (`readUnits`). */
  units: number;
  /** DynamoDB Local's ConsumedCapacity alone, transactions doubled (nothing computed from item sizes). */
  reportedUnits: number;
  /** Reads reported at 0 units: they found nothing. */
  emptyReads: number;
}

export interface DynamoUsage {
  readonly writeRequests: number;
  readonly failedWrites: number;
  /** Write units as AWS bills them (transactions doubled, failed writes included). */
  readonly writeUnits: number;
  /** The part of `writeUnits` computed from item sizes because DynamoDB Local reported nothing for it. */
  readonly computedWriteUnits: number;
  /** The part of `writeUnits` DynamoDB Local reported (transactions doubled). */
  readonly reportedWriteUnits: number;
  /** The part of `writeUnits` spent on the API's per-tenant rate-limit counters (`RATE#` items), not the pipeline. */
  readonly rateLimitWriteUnits: number;
  readonly readRequests: number;
  /** Read units as DynamoDB Local reports them (transactional reads doubled). */
  readonly readUnits: number;
  /**
   * Read units as AWS bills them: `readUnits`, but each read that found nothing (reported at 0)
   * at AWS's minimum for its kind: 0.5 eventually consistent, 1 strongly consistent, 2 transactional.
   */
  readonly billedReadUnits: number;
  /** Reads that DynamoDB Local reported at 0 units (they found nothing). */
  readonly emptyReads: number;
  /** Successful requests whose response carried no ConsumedCapacity (a write's units are then computed from item sizes; a read's count as 0). */
  readonly unreported: number;
  readonly byCommand: Readonly<Record<string, CommandCount>>;
  /** Failed requests by error name. */
  readonly failures: Readonly<Record<string, number>>;
}

type Key = Record<string, AttributeValue>;
/** One item a write touched: its table and key, and the new item when the write carries it. */
interface Touched {
  readonly table: string;
  readonly key: Key | null;
  readonly newItem?: Record<string, AttributeValue>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const keyOf = (item: Record<string, AttributeValue>): Key | null => {
  const pk = item[tableDefinition.partitionKey];
  const sk = item[tableDefinition.sortKey];
  return pk && sk ? { [tableDefinition.partitionKey]: pk, [tableDefinition.sortKey]: sk } : null;
};

/** Units the response reported (one object for single-item calls, a list for batch and transact), and whether it reported any at all. */
const reportedUnits = (output: unknown): { units: number; reported: boolean } => {
  if (!isRecord(output) || output.ConsumedCapacity === undefined) return { units: 0, reported: false };
  const list: unknown[] = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
  if (list.length === 0) return { units: 0, reported: false };
  const units = list.reduce<number>((n, c) => n + (isRecord(c) && typeof c.CapacityUnits === 'number' ? c.CapacityUnits : 0), 0);
  return { units, reported: true };
};

/** The items a (non-transactional) write touches. */
const touchedBy = (command: string, input: unknown): Touched[] => {
  switch (command) {
    case 'PutItemCommand': {
      const i = input as PutItemCommandInput;
      return [{ table: i.TableName ?? '', key: keyOf(i.Item ?? {}), newItem: i.Item ?? {} }];
    }
    case 'UpdateItemCommand': {
      const i = input as UpdateItemCommandInput;
      return [{ table: i.TableName ?? '', key: i.Key ?? null }];
    }
    case 'DeleteItemCommand': {
      const i = input as DeleteItemCommandInput;
      return [{ table: i.TableName ?? '', key: i.Key ?? null }];
    }
    case 'BatchWriteItemCommand': {
      const i = input as BatchWriteItemCommandInput;
      return Object.entries(i.RequestItems ?? {}).flatMap(([table, requests]) =>
        requests.map((r): Touched =>
          r.PutRequest?.Item ? { table, key: keyOf(r.PutRequest.Item), newItem: r.PutRequest.Item } : { table, key: r.DeleteRequest?.Key ?? null },
        ),
      );
    }
    default:
      return [];
  }
};

/** The actions of a transaction, split into the ones DynamoDB Local reports units for and condition checks. */
const transactionItems = (input: unknown): { writes: Touched[]; checks: Touched[] } => {
  const writes: Touched[] = [];
  const checks: Touched[] = [];
  for (const item of (input as TransactWriteItemsCommandInput).TransactItems ?? []) {
    if (item.Put) writes.push({ table: item.Put.TableName ?? '', key: keyOf(item.Put.Item ?? {}), newItem: item.Put.Item ?? {} });
    if (item.Update) writes.push({ table: item.Update.TableName ?? '', key: item.Update.Key ?? null });
    if (item.Delete) writes.push({ table: item.Delete.TableName ?? '', key: item.Delete.Key ?? null });
    if (item.ConditionCheck) checks.push({ table: item.ConditionCheck.TableName ?? '', key: item.ConditionCheck.Key ?? null });
  }
  return { writes, checks };
};

const empty = () => ({
  writeRequests: 0,
  failedWrites: 0,
  writeUnits: 0,
  rateLimitWriteUnits: 0,
  computedWriteUnits: 0,
  reportedWriteUnits: 0,
  readRequests: 0,
  readUnits: 0,
  billedReadUnits: 0,
  emptyReads: 0,
  unreported: 0,
  byCommand: {} as Record<string, CommandCount>,
  failures: {} as Record<string, number>,
});

/**
 * Counts DynamoDB requests and capacity units of the clients it is attached to, as AWS bills
 * them. Each data-plane request asks for `ReturnConsumedCapacity: 'TOTAL'`; the reported units are
 * summed, except where DynamoDB Local departs from AWS:
 *   - a transaction's units are doubled (AWS prepares and commits every item: 2 units per KB);
 *   - a transaction's ConditionCheck actions, which DynamoDB Local leaves out of its figure
 *     (probed with this DynamoDB Local), are added from item sizes, as writes (AWS bills them so);
 *   - a failed conditional write (ConditionalCheckFailedException) returns no figure: AWS still
 *     bills it, by the size of the larger of the stored and the new item (at least 1 unit);
 *   - a cancelled transaction returns no figure: it is billed here like a committed one
 *     (2 units per KB of every item), an assumption on the expensive side;
 *   - a successful write without a figure is computed from item sizes too (`unreported`);
 *   - a read that finds nothing is reported at 0: `readUnits` keeps that figure, `billedReadUnits`
 *     charges AWS's minimum for it (`emptyReads`).
 * Sizes of stored items come from a separate client this meter does not count. `byCommand` keeps,
 * per command, the calls, failures, units as the totals count them, reported units and empty reads.
 *
 * @example
 * const meter = new DynamoMeter(stack.dynamoEndpoint, 'us-east-1');
 * meter.attach(table().base);
 * // ... run a workload ...
 * const { writeUnits, writeRequests } = await meter.snapshot();
 */
export class DynamoMeter {
  private usage = empty();
  private pending: Promise<void>[] = [];
  private readonly inspector: DynamoDBClient;

  constructor(endpoint: string, region: string) {
    this.inspector = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  /** Adds the counting middleware to `client` (and so to document clients built on it). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = typeof context.commandName === 'string' ? context.commandName : '';
        if ((!WRITES.has(command) && !READS.has(command)) || !isRecord(args.input)) return next(args);
        return next({ ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } as typeof args.input });
      },
      { step: 'initialize', name: 'benchReturnConsumedCapacity', override: true },
    );
    // In the build step the input is the low-level (marshalled) one, whichever client sent it.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = typeof context.commandName === 'string' ? context.commandName : '';
        if (!WRITES.has(command) && !READS.has(command)) return next(args);
        const input: unknown = args.input;
        try {
          const result = await next(args);
          if (WRITES.has(command)) this.wrote(command, input, result.output);
          else this.read(command, input, result.output);
          return result;
        } catch (error) {
          this.failed(command, input, error);
          throw error;
        }
      },
      { step: 'build', name: 'benchCountCapacity', override: true },
    );
  }

  /** The counts so far, once the item-size lookups of failed writes are done. */
  async snapshot(): Promise<DynamoUsage> {
    await this.drain();
    return structuredClone(this.usage);
  }

  async reset(): Promise<void> {
    await this.drain();
    this.usage = empty();
  }

  destroy(): void {
    this.inspector.destroy();
  }

  private async drain(): Promise<void> {
    for (let round = 0; round < 10 && this.pending.length > 0; round += 1) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }

  private entry(command: string): CommandCount {
    return (this.usage.byCommand[command] ??= { calls: 0, failed: 0, units: 0, reportedUnits: 0, emptyReads: 0 });
  }

  private addWriteUnits(command: string, units: number, computed: boolean): void {
    const entry = this.entry(command);
    this.usage.writeUnits += units;
    entry.units += units;
    if (computed) {
      this.usage.computedWriteUnits += units;
    } else {
      this.usage.reportedWriteUnits += units;
      entry.reportedUnits += units;
    }
  }

  /** Adds units computed from sizes later (they need a lookup), keeping the counts consistent. */
  private later(work: Promise<number>, command: string): void {
    this.pending.push(work.then((units) => this.addWriteUnits(command, units, true)));
  }

  private wrote(command: string, input: unknown, output: unknown): void {
    if (command === 'UpdateItemCommand' && isRateLimitCounter(input)) {
      // The API's rate limiter, not the pipeline: counted apart so both can be reported.
      const { units } = reportedUnits(output);
      this.usage.rateLimitWriteUnits += units;
      command = 'UpdateItemCommand (rate-limit counters)';
    }
    this.usage.writeRequests += 1;
    this.entry(command).calls += 1;
    const { units, reported } = reportedUnits(output);
    if (!reported) this.usage.unreported += 1;
    if (command === 'TransactWriteItemsCommand') {
      const { writes, checks } = transactionItems(input);
      if (reported) this.addWriteUnits(command, units * TRANSACTION_FACTOR, false);
      else this.later(this.unitsOf(writes).then((u) => u * TRANSACTION_FACTOR), command);
      if (checks.length > 0) this.later(this.unitsOf(checks).then((u) => u * TRANSACTION_FACTOR), command);
      return;
    }
    if (reported) this.addWriteUnits(command, units, false);
    else this.later(this.unitsOf(touchedBy(command, input)), command);
  }

  private read(command: string, input: unknown, output: unknown): void {
    const entry = this.entry(command);
    this.usage.readRequests += 1;
    entry.calls += 1;
    const { units: reported, reported: hasFigure } = reportedUnits(output);
    if (!hasFigure) {
      this.usage.unreported += 1;
      return;
    }
    const transactional = command === 'TransactGetItemsCommand';
    const units = reported * (transactional ? TRANSACTION_FACTOR : 1);
    this.usage.readUnits += units;
    entry.units += units;
    entry.reportedUnits += units;
    if (units > 0) {
      this.usage.billedReadUnits += units;
      return;
    }
    this.usage.emptyReads += 1;
    entry.emptyReads += 1;
    const consistent = isRecord(input) && input.ConsistentRead === true;
    this.usage.billedReadUnits += transactional ? EMPTY_READ_UNITS.transactional : consistent ? EMPTY_READ_UNITS.consistent : EMPTY_READ_UNITS.eventual;
  }

  private failed(command: string, input: unknown, error: unknown): void {
    const name = error instanceof Error ? error.name : 'UnknownError';
    this.usage.failures[name] = (this.usage.failures[name] ?? 0) + 1;
    const entry = this.entry(command);
    entry.calls += 1;
    entry.failed += 1;
    if (READS.has(command)) {
      this.usage.readRequests += 1;
      return;
    }
    this.usage.writeRequests += 1;
    this.usage.failedWrites += 1;
    if (name === 'ConditionalCheckFailedException') {
      this.later(this.unitsOf(touchedBy(command, input)), command);
    } else if (name === 'TransactionCanceledException') {
      const { writes, checks } = transactionItems(input);
      this.later(this.unitsOf([...writes, ...checks]).then((u) => u * TRANSACTION_FACTOR), command);
    }
    // Other errors (validation, throttling) are not billed.
  }

  /** Units of writing each item: the larger of the stored and the new item, per started KB. */
  private async unitsOf(items: readonly Touched[]): Promise<number> {
    let units = 0;
    for (const item of items) {
      const stored = item.key ? await this.storedBytes(item.table, item.key) : 0;
      units += writeUnitsFor(Math.max(stored, item.newItem ? itemBytes(item.newItem) : 0));
    }
    return units;
  }

  private async storedBytes(table: string, key: Key): Promise<number> {
    const { Item } = await this.inspector.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return Item ? itemBytes(Item) : 0;
  }
}

/** Whether a (marshalled) UpdateItem targets a rate-limit counter item (`RATE#...`). */
const isRateLimitCounter = (input: unknown): boolean => {
  if (!isRecord(input) || !isRecord(input.Key)) return false;
  const pk = input.Key.PK;
  return isRecord(pk) && typeof pk.S === 'string' && pk.S.startsWith('RATE#');
};
