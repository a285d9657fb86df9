import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './client';
import { ATTR } from './keys';

/** A conditional write that found the item not as it expected (DynamoDB's ConditionalCheckFailed). */
export const isConditionFailure = (error: unknown): boolean => error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** Puts an item unless one with its key exists; false when it did (the write was a retry). */
export const putIfAbsent = async (table: TableRef, item: Record<string, unknown>): Promise<boolean> => {
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': ATTR.pk },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};
