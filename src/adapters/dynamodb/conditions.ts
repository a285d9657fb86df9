import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand, UpdateCommand, type PutCommandInput, type TransactWriteCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TableRef } from './client';
import { ATTR, type ItemKey } from './keys';

/** DynamoDB's reason codes for the items of a cancelled transaction. */
export const CANCELLATION = {
  conditionFailed: 'ConditionalCheckFailed',
  conflict: 'TransactionConflict',
  none: 'None',
} as const;

/**
 * A single conditional write that found the item not as it expected (DynamoDB's
 * `ConditionalCheckFailedException`); `Item` is the item as it was, in wire format, when the
 * write asked for it.
 */
export const isConditionFailure = (error: unknown): error is Error & { readonly Item?: Record<string, AttributeValue> } =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Why each item of a cancelled transaction failed, in the order of its `TransactItems`
 * (`'None'` for the items that did not); null when `error` is not a cancelled transaction.
 * @example
 * if (cancellationCodes(error)?.[0] === CANCELLATION.conditionFailed) return 'limit_reached';
 */
export const cancellationCodes = (error: unknown): string[] | null => {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return null;
  const { CancellationReasons: reasons = [] } = error as { CancellationReasons?: readonly { readonly Code?: string }[] };
  return reasons.map((reason) => reason.Code ?? CANCELLATION.none);
};

/**
 * A conditional write that DynamoDB refused. `item` is the item as it was when the condition
 * failed (already read by DynamoDB, no second read needed), or undefined when there was none.
 */
export class ConditionFailed extends Error {
  override readonly name = 'ConditionFailed';
  readonly item: Record<string, unknown> | undefined;

  constructor(item: Record<string, unknown> | undefined, options: { cause: unknown }) {
    super('The conditional write found the item not as it expected', options);
    this.item = item;
  }
}

type Conditional<Input> = Omit<Input, 'TableName' | 'ReturnValuesOnConditionCheckFailure'> & { readonly ConditionExpression: string };

/** One conditional put or update, shaped as in `TransactItems`; the helper adds the table. */
export type ConditionalWrite = { readonly Put: Conditional<PutCommandInput> } | { readonly Update: Conditional<UpdateCommandInput> };

/**
 * Sends a conditional put or update asking DynamoDB for the item as it was should the condition
 * fail (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). Returns the write's `Attributes`
 * (what `ReturnValues` asked for).
 *
 * @throws ConditionFailed carrying the existing item, when the condition did not hold.
 * @example
 * try {
 *   await conditionalWrite(table, { Put: { Item: item, ...ifAbsent() } });
 * } catch (error) {
 *   if (error instanceof ConditionFailed && error.item) return error.item; // the winner's copy
 *   throw error;
 * }
 */
export const conditionalWrite = async (table: TableRef, write: ConditionalWrite): Promise<Record<string, unknown> | undefined> => {
  const returnOld = { TableName: table.tableName, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;
  try {
    const out =
      'Put' in write
        ? await table.client.send(new PutCommand({ ...write.Put, ...returnOld }))
        : await table.client.send(new UpdateCommand({ ...write.Update, ...returnOld }));
    return out.Attributes;
  } catch (error) {
    // The document client does not translate errors: the item comes back in wire format.
    if (isConditionFailure(error)) throw new ConditionFailed(error.Item === undefined ? undefined : unmarshall(error.Item), { cause: error });
    throw error;
  }
};

/**
 * The condition of a write that creates an item: none with its key exists yet.
 * @example
 * { Put: { TableName, Item, ...ifAbsent() } }
 */
export const ifAbsent = () => ({ ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': ATTR.pk } });

/** Puts an item unless one with its key exists; false when it did (the write was a retry). */
export const putIfAbsent = async (table: TableRef, item: Record<string, unknown>): Promise<boolean> => {
  try {
    await conditionalWrite(table, { Put: { Item: item, ...ifAbsent() } });
    return true;
  } catch (error) {
    if (error instanceof ConditionFailed) return false;
    throw error;
  }
};

/** Whether a transaction was cancelled by the condition of its first item. */
export const firstItemFailed = (error: unknown): boolean => cancellationCodes(error)?.[0] === CANCELLATION.conditionFailed;

/**
 * Puts new items (each only if absent) and adds one to a count in the same transaction, unless
 * the count is at `limit` already: then nothing is written ('limit_reached'). A per-tenant cap
 * that racing creates cannot overrun (webhook endpoints, API clients).
 */
export const putCounted = async (
  table: TableRef,
  counter: { readonly key: ItemKey; readonly attribute: string; readonly limit: number },
  items: readonly Record<string, unknown>[],
): Promise<'created' | 'limit_reached'> => {
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table.tableName,
              Key: counter.key,
              UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one',
              ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
              ExpressionAttributeNames: { '#count': counter.attribute },
              ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': counter.limit },
            },
          },
          ...items.map((Item) => ({ Put: { TableName: table.tableName, Item, ...ifAbsent() } })),
        ],
      }),
    );
    return 'created';
  } catch (error) {
    if (firstItemFailed(error)) return 'limit_reached';
    throw error;
  }
};

/**
 * Deletes an item counted by `putCounted` and gives its place back, with `also` in the same
 * transaction; false (nothing written) when the item was not there.
 */
export const deleteCounted = async (
  table: TableRef,
  counter: { readonly key: ItemKey; readonly attribute: string },
  key: ItemKey,
  also: NonNullable<TransactWriteCommandInput['TransactItems']> = [],
): Promise<boolean> => {
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: table.tableName, Key: key, ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': ATTR.pk } } },
          {
            Update: {
              TableName: table.tableName,
              Key: counter.key,
              UpdateExpression: 'ADD #count :minus',
              ExpressionAttributeNames: { '#count': counter.attribute },
              ExpressionAttributeValues: { ':minus': -1 },
            },
          },
          ...also,
        ],
      }),
    );
    return true;
  } catch (error) {
    if (firstItemFailed(error)) return false;
    throw error;
  }
};
