import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { PlanSegment, Timeline } from '../../domain/timeline';
import type { TimelineStore } from '../../app/ports/timelines';
import type { TableRef } from './client';
import { cancellationCodes, isConditionFailure } from './conditions';
import { entitlementTimelineWrite } from './entitlements';
import { FIELD, PROFILE_FIELD, profileKey } from './keys';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface StoredTimeline {
  readonly segments: PlanSegment[];
  /** 0 when none was written yet. */
  readonly version: number;
  /** The profile's current subscription (whose facts the entitlement item keeps). */
  readonly currentSubscriptionId: string | null;
}

const MAX_ATTEMPTS = 5;

/**
 * A tenant's plan timeline, kept on its profile item with a version: every writer reads it,
 * computes the new one and writes it only if the version did not move (else reads again).
 */
export class TimelineRepository implements TimelineStore {
  constructor(private readonly table: TableRef) {}

  async get(tenantId: string): Promise<StoredTimeline> {
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: profileKey(tenantId),
        ConsistentRead: true,
        ProjectionExpression: '#t, #v, #c',
        ExpressionAttributeNames: { '#t': FIELD.timeline, '#v': FIELD.timelineVersion, '#c': PROFILE_FIELD.currentSubscriptionId },
      }),
    );
    return timelineOf(Item);
  }

  /** The write of a new timeline, for a caller's transaction: only if still at `expectedVersion`. */
  write(tenantId: string, segments: Timeline, expectedVersion: number): TransactItem {
    return { Update: this.updateInput(tenantId, segments, expectedVersion) };
  }

  /** A check, for a caller's transaction, that the timeline is still at `expectedVersion` (its copies stay in step). */
  check(tenantId: string, expectedVersion: number): TransactItem {
    const { ConditionExpression, ExpressionAttributeNames } = this.updateInput(tenantId, [], expectedVersion);
    return {
      ConditionCheck: {
        TableName: this.table.tableName,
        Key: profileKey(tenantId),
        ConditionExpression,
        ExpressionAttributeNames: { '#v': ExpressionAttributeNames['#v'] },
        ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
      },
    };
  }

  /**
   * Read-modify-write with the version as guard; returns the timeline before and after. The
   * entitlement item's copy is written in the same transaction.
   */
  async change(tenantId: string, f: (segments: PlanSegment[]) => PlanSegment[]): Promise<{ before: PlanSegment[]; after: PlanSegment[] }> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const { segments, version } = await this.get(tenantId);
      const after = f(segments);
      try {
        await this.table.client.send(
          new TransactWriteCommand({ TransactItems: [this.write(tenantId, after, version), entitlementTimelineWrite(this.table, tenantId, after)] }),
        );
        return { before: segments, after };
      } catch (error) {
        if (!isConditionFailure(error) && cancellationCodes(error) === null) throw error;
      }
    }
    throw new Error(`the timeline of ${tenantId} kept changing while being written`);
  }

  private updateInput(tenantId: string, segments: Timeline, expectedVersion: number) {
    return {
      TableName: this.table.tableName,
      Key: profileKey(tenantId),
      UpdateExpression: 'SET #t = :t, #v = :next, #tenant = :tenant',
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#v)' : '#v = :expected',
      ExpressionAttributeNames: { '#t': FIELD.timeline, '#v': FIELD.timelineVersion, '#tenant': FIELD.tenantId },
      ExpressionAttributeValues: {
        ':t': segments,
        ':next': expectedVersion + 1,
        ':tenant': tenantId,
        ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
      },
    };
  }
}

/** The timeline attributes of a profile item (a profile read elsewhere carries them too). */
export const timelineOf = (item: Record<string, unknown> | undefined): StoredTimeline => {
  const segments = item?.[FIELD.timeline];
  const version = item?.[FIELD.timelineVersion];
  const current = item?.[PROFILE_FIELD.currentSubscriptionId];
  return {
    segments: Array.isArray(segments) ? (segments as PlanSegment[]) : [],
    version: typeof version === 'number' ? version : 0,
    currentSubscriptionId: typeof current === 'string' ? current : null,
  };
};
