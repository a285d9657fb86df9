import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { Conflict, InvalidInput } from '../app/errors';

/** How long an `Idempotency-Key` replays its first answer, unless told otherwise. */
export const REPLAY_SECONDS = 24 * 3600;

/** What one `Idempotency-Key` is unique within: a route and a tenant. */
export interface IdempotencyScope {
  readonly route: string;
  readonly tenant: string;
  readonly key: string;
}

/**
 * Runs `run` once per scope: a retry with the same key and body replays the first answer; the
 * same key with another body, or while the first is still running, is a `Conflict` (409); a
 * malformed key is `InvalidInput` (400).
 */
export type OnceForKey = <R>(scope: IdempotencyScope, body: unknown, context: Context, run: () => Promise<R>) => Promise<R>;

export interface IdempotencyOptions {
  /** Where first answers are kept: Powertools' DynamoDB layer over the billing table in AWS. */
  readonly persistenceStore: BasePersistenceLayer;
  /** How long a key replays its first answer; {@link REPLAY_SECONDS} by default. */
  readonly expiresAfterSeconds?: number;
}

interface Input {
  readonly scope: IdempotencyScope;
  readonly body: unknown;
}

const isValidKey = (key: string): boolean => key.length > 0 && key.length <= 255 && /^[\x21-\x7e]+$/.test(key);

/**
 * The `Idempotency-Key` semantics of the API (Powertools idempotency over `persistenceStore`),
 * keyed by the scope and validated on the body.
 * @example
 * const onceForKey = createOnceForKey({ persistenceStore: new DynamoDBPersistenceLayer({ tableName }) });
 * const result = await onceForKey({ route: 'POST /subscriptions', tenant: 'org-1', key }, body, context, () => create(body));
 */
export const createOnceForKey = ({ persistenceStore, expiresAfterSeconds = REPLAY_SECONDS }: IdempotencyOptions): OnceForKey => {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'scope',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds,
  });
  const once = makeIdempotent(async (_input: Input, work: () => Promise<unknown>) => work(), {
    persistenceStore,
    config,
    keyPrefix: 'api',
  });
  return async <R>(scope: IdempotencyScope, body: unknown, context: Context, run: () => Promise<R>): Promise<R> => {
    if (!isValidKey(scope.key)) {
      throw new InvalidInput('Invalid Idempotency-Key', [{ field: 'Idempotency-Key', message: '1 to 255 visible ASCII characters' }]);
    }
    // Lets an in-progress record expire with the invocation if the function times out.
    config.registerLambdaContext(context);
    try {
      // The stored answer is JSON, exactly what the operation returned the first time.
      return (await once({ scope, body: body ?? null }, run)) as R;
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new Conflict('This Idempotency-Key was used with a different request body', { cause: error });
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new Conflict('A request with this Idempotency-Key is still in progress', { cause: error });
      }
      throw error;
    }
  };
};
