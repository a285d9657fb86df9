import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { Conflict, InvalidInput } from '../app/errors';
import { table } from '../adapters/dynamodb/client';
import { ATTR } from '../adapters/dynamodb/keys';

/** How long an `Idempotency-Key` replays its first answer. */
const REPLAY_SECONDS = 24 * 3600;

interface Scope {
  readonly route: string;
  readonly tenant: string;
  readonly key: string;
}

type Run<R> = () => Promise<R>;

let persistence: DynamoDBPersistenceLayer | undefined;
const store = (): DynamoDBPersistenceLayer =>
  (persistence ??= new DynamoDBPersistenceLayer({
    tableName: table().tableName,
    awsSdkV3Client: table().base,
    keyAttr: ATTR.pk,
    sortKeyAttr: ATTR.sk,
    staticPkValue: 'IDEMPOTENCY',
    expiryAttr: ATTR.ttl,
  }));

const config = new IdempotencyConfig({
  eventKeyJmesPath: 'scope',
  payloadValidationJmesPath: 'body',
  expiresAfterSeconds: REPLAY_SECONDS,
});

type IdempotentRun = (input: { scope: Scope; body: unknown }, work: Run<unknown>) => Promise<unknown>;
let idempotentRun: IdempotentRun | undefined;

/**
 * Runs `run` once per (route, tenant, Idempotency-Key) with Powertools idempotency over the
 * billing table: a retry with the same key and body replays the first answer; the same key
 * with another body, or while the first is still running, is a 409.
 */
export const onceForKey = async <R>(scope: Scope, body: unknown, context: Context, run: Run<R>): Promise<R> => {
  if (scope.key.length === 0 || scope.key.length > 255 || !/^[\x21-\x7e]+$/.test(scope.key)) {
    throw new InvalidInput('Invalid Idempotency-Key', [{ field: 'Idempotency-Key', message: '1 to 255 visible ASCII characters' }]);
  }
  // Lets an in-progress record expire with the invocation if the function times out.
  config.registerLambdaContext(context);
  const once: IdempotentRun = (idempotentRun ??= makeIdempotent(
    async (_input: { scope: Scope; body: unknown }, work: Run<unknown>) => work(),
    { persistenceStore: store(), config, keyPrefix: 'api' },
  ));
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
