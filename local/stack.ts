import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { useClock } from '../src/platform/clock';
import { withEnvironment, type Environment } from '../src/platform/environment';
import type { FunctionNeeds } from '../contracts/environment';
import { localEnvironment, type LocalResources } from './function-environment';
import { StripeAdapter } from '../src/adapters/stripe/stripe-adapter';
import { API_PREFIX, routeTable, type RouteTable } from '../contracts/routes';
import { SimulatedClock } from './clock';
import { clockRoute } from './clock-route';
import { webRoute, WEB_DIST_DIR } from './web';
import { ensureTable, LOCAL_AWS_ENV, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startHttpApi, type RunningHttpApi } from './http-api';
import { loadOrCreateKeys, verifyBearer, type LocalKeys } from './jwt';
import { freePort } from './ports';
import { startLocalStripe, type LocalStripe } from './stripe';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { queues, schedules, type QueueDefinition } from '../contracts/queues';
import { hourlySchedule, loadHandler, localContext } from './lambda';
import { CLOSE_GRACE_MS } from '../src/app/overage/biller';
import { createTableRef } from '../src/adapters/dynamodb/client';
import { EntitlementRepository } from '../src/adapters/dynamodb/entitlements';
import { OverageRepository } from '../src/adapters/dynamodb/overages';
import { ApiClientRepository } from '../src/adapters/dynamodb/api-clients';
import { MAX_API_CLIENTS_PER_TENANT } from '../src/app/api-clients/clients';
import { tokenRoute } from './oauth-token';
import { createLocalSqsClient, createQueuesFromDefinitions, startEventSourcePoller, startLocalSqs, type LocalSqs, type SqsConsumer } from './sqs';
import { authConfig } from '../src/platform/config';
import { principalFromClaims } from '../src/http/principal';
import { logAnswered, queueBatchLine, type LocalLog } from './log';
import { DEFAULT_DATA_DIR, REPO_ROOT } from './paths';

export { DEFAULT_DATA_DIR, REPO_ROOT };
export const LOCAL_TABLE_NAME = 'securenet-billing';
/** Any `sk_test_` key works against the local Stripe endpoint. */
export const LOCAL_STRIPE_KEY = 'sk_test_securenet_local';
/** The local overage worker's Stripe budget: Stripe's live limit, all of it (one worker runs locally). */
const LOCAL_STRIPE_BUDGET = 100;

export interface LocalStackOptions {
  /** API port; 0 picks a free one. */
  readonly port: number;
  /**
   * Where keys, the clock, DynamoDB data, the SQS journal and the Stripe state live; `inMemory`
   * keeps the database and the queues in memory only (and the Stripe state, as a given `clock` does).
   */
  readonly dataDir?: string;
  readonly inMemory?: boolean;
  /** Delete `dataDir` first. */
  readonly reset?: boolean;
  /** An already running DynamoDB Local (tests start one per run); else one is started. */
  readonly dynamoEndpoint?: string;
  /**
   * A DynamoDB Local already starting on `dataDir` (`npm start` launches it before loading the rest
   * of the stack); the stack waits for it and stops it. Its caller does any `reset` first.
   */
  readonly dynamo?: Promise<DynamoDbLocal>;
  readonly dynamoPort?: number;
  readonly tableName?: string;
  /** Serve another route table (tests mount fixtures); the real one by default. */
  readonly routeTable?: RouteTable;
  /** The simulated clock; tests pass a frozen one. Default: the persisted running clock. */
  readonly clock?: SimulatedClock;
  /** Local Stripe endpoint port (default: a free one; `npm start` uses 12111). */
  readonly stripePort?: number;
  /** Where the functions are told Stripe is (a counting proxy in front of it, in benchmarks); default the endpoint itself. */
  readonly stripeApiBase?: string;
  /**
   * The overage worker's Stripe budget in requests per second: the whole of the live account
   * limit by default, as the local stack runs one worker (`STRIPE_MAX_REQUESTS_PER_SECOND`).
   */
  readonly stripeRequestsPerSecond?: number;
  /** What Stripe does after the last failed payment retry. */
  readonly finalFailure?: 'canceled' | 'unpaid';
  /** Local SQS endpoint port (default: a free one). */
  readonly sqsPort?: number;
  /** The local Stripe endpoint waits this long before each response (`LocalStripeOptions.latencyMs`). */
  readonly stripeLatencyMs?: number;
  /** Tests shorten queue timings (e.g. a 1 s visibility timeout) to see redeliveries quickly. */
  readonly queueOverrides?: Partial<Pick<QueueDefinition, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>>;
  /** Concurrent usage consumers (Lambda scales out; tests race two). Default 1. */
  readonly usageConsumers?: number;
  /** Tests wrap the usage consumer to inject faults (e.g. a crash after its writes). */
  readonly wrapUsageConsumer?: (handler: SqsConsumer) => SqsConsumer;
  /**
   * Lets tenant webhooks go to http://localhost / 127.0.0.1 receivers (development and tests);
   * only loopback, never other private ranges. Off by default.
   */
  readonly allowLocalWebhookTargets?: boolean;
  /** Where one line per request, Stripe webhook and queue batch goes (`npm start` prints them); none by default. */
  readonly log?: LocalLog;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly stripeUrl: string;
  readonly tableName: string;
  readonly keys: LocalKeys;
  readonly clock: SimulatedClock;
  readonly stripe: LocalStripe;
  readonly sqsEndpoint: string;
  /** The local SQS endpoint itself (request counts as SQS bills them: `stats()`). */
  readonly sqs: LocalSqs;
  readonly usageQueueUrl: string;
  /** Bodies of the messages now in the usage dead-letter queue (read without consuming them for long). */
  usageDeadLetters(): Promise<string[]>;
  /** Resolves when due webhooks are delivered and the usage queue is drained. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** The key material that encrypts webhook signing secrets at rest: made once, kept with the data. */
const loadOrCreateWebhookKey = (file: string): string => {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
};

type LocalRoute = NonNullable<Parameters<typeof startHttpApi>[0]['localRoutes']>;

/** Local-only handlers tried in order; the first that answers wins. */
const firstMatch =
  (...routes: LocalRoute[]): LocalRoute =>
  async (req, res, url) => {
    for (const route of routes) if (await route(req, res, url)) return true;
    return false;
  };

/** The values of settled starts, or the first failure once every start has settled (so each one's stop is registered). */
const allStarted = <T extends readonly PromiseSettledResult<unknown>[]>(
  settled: T,
): { -readonly [K in keyof T]: T[K] extends PromiseSettledResult<infer V> ? V : never } => {
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: T[K] extends PromiseSettledResult<infer V> ? V : never };
};

/** Who called, for the request log: the tenant, or `admin` for an admin token without one. */
const callerOf = (claims: Readonly<Record<string, string>>): string | undefined => {
  const principal = principalFromClaims(claims, authConfig());
  return principal?.tenantId ?? (principal?.admin ? 'admin' : undefined);
};

/** `<NAME>_QUEUE_URL` for every queue, as the CDK stack sets them for the functions that send. */
const queueUrlVariables = (created: Record<string, { url: string }>): Record<string, string> =>
  Object.fromEntries(Object.entries(created).map(([name, q]) => [`${name.replace(/-/g, '_').toUpperCase()}_QUEUE_URL`, q.url]));

/**
 * The whole local stack: DynamoDB Local with the stack's table, the local Stripe endpoint and
 * its webhooks, one simulated clock for all of them, the environment the Lambdas get in AWS,
 * and the HTTP API built from the route table.
 */
export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const clockFile = join(dataDir, 'clock.json');
  const clock = options.clock ?? SimulatedClock.load(clockFile);
  useClock(clock);

  const stopping: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stopping.reverse()) await stop();
  };
  try {
    const apiPort = options.port === 0 ? await freePort() : options.port;
    const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
    const definitions = Object.fromEntries(
      Object.entries(queues).map(([name, def]) => [name, { ...def, ...options.queueOverrides }]),
    ) as Record<keyof typeof queues, QueueDefinition>;
    const queueNames = Object.keys(definitions) as (keyof typeof definitions)[];

    // Independent starts run together: DynamoDB Local's JVM takes seconds to answer, while the
    // Stripe endpoint (and its catalog), the SQS endpoint (and its queues), the signing keys and the
    // handlers' modules need none of it.
    const startDynamo = async (): Promise<string> => {
      let endpoint = options.dynamoEndpoint;
      if (!endpoint) {
        const dynamo = await (options.dynamo ??
          startDynamoDbLocal({
            port: options.dynamoPort ?? (await freePort()),
            ...(options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') }),
          }));
        stopping.push(() => dynamo.stop());
        endpoint = dynamo.endpoint;
      }
      const admin = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        await ensureTable(admin, tableName);
      } finally {
        admin.destroy();
      }
      return endpoint;
    };
    const startStripe = async (): Promise<LocalStripe> => {
      const stripe = await startLocalStripe({
        port: options.stripePort ?? (await freePort()),
        clock,
        webhook: { url: `http://127.0.0.1:${apiPort}${API_PREFIX}/webhooks/stripe`, secret: webhookSecret },
        ...(options.inMemory || options.clock ? {} : { stateFile: join(dataDir, 'stripe.json') }),
        ...(options.finalFailure ? { finalFailure: options.finalFailure } : {}),
        ...(options.stripeLatencyMs ? { latencyMs: options.stripeLatencyMs } : {}),
      });
      stopping.push(() => stripe.close());
      // Each due step's webhooks land before the clock moves on, so things happen in order.
      clock.register({
        name: 'stripe',
        nextDueAt: () => stripe.participant.nextDueAt(),
        runDue: async (now) => {
          await stripe.participant.runDue(now);
          await stripe.idle();
        },
      });
      const adapter = new StripeAdapter({ secretKey: LOCAL_STRIPE_KEY, webhookSecret, apiBase: stripe.url, now: () => clock.now() });
      await adapter.syncCatalog();
      await adapter.syncCoupons();
      return stripe;
    };
    const startSqs = async () => {
      // Durable unless in memory: an acknowledged SendMessageBatch (a 202 of /usage/track) survives kill -9.
      const sqs = await startLocalSqs({ port: options.sqsPort ?? 0, ...(options.inMemory ? {} : { dataDir: join(dataDir, 'sqs') }) });
      stopping.push(() => sqs.close());
      const client = createLocalSqsClient(sqs.endpoint);
      return { sqs, client, created: await createQueuesFromDefinitions(client, definitions) };
    };
    const loadConsumers = () =>
      Promise.all(queueNames.map((name) => loadHandler<SQSEvent, SQSBatchResponse>(definitions[name].consumer.entry)));

    const [endpoint, stripe, { sqs, client: sqsClient, created }, consumers, planner, keys] = allStarted(
      await Promise.allSettled([
        startDynamo(),
        startStripe(),
        startSqs(),
        loadConsumers(),
        loadHandler<Record<string, never>, unknown>(schedules.overagePlanner.entry),
        loadOrCreateKeys(join(dataDir, 'keys', 'jwt-es256.json')),
      ] as const),
    );
    const usageQueue = created.usage;

    // The handlers run in this process. Each invocation runs inside the environment the stack
    // gives that function (local/function-environment.ts); the process keeps the union, for
    // tools and tests that build adapters outside an invocation.
    // EMF metrics go to stdout in AWS; locally they would drown the logs unless asked for.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const webOrigins: string[] = [];
    const resources: LocalResources = {
      tableName,
      dynamoEndpoint: endpoint,
      sqsEndpoint: sqs.endpoint,
      queueUrls: { usage: created.usage.url, overage: created.overage.url, webhooks: created.webhooks.url },
      stripe: {
        secretKey: LOCAL_STRIPE_KEY,
        webhookSecret,
        apiBase: options.stripeApiBase ?? stripe.url,
        requestsPerSecond: options.stripeRequestsPerSecond ?? LOCAL_STRIPE_BUDGET,
      },
      webhookSecretsKey: loadOrCreateWebhookKey(join(dataDir, 'keys', 'webhook-secrets.key')),
      allowLocalWebhookTargets: options.allowLocalWebhookTargets ?? false,
      webOrigins,
    };
    Object.assign(process.env, LOCAL_AWS_ENV, {
      SQS_ENDPOINT: sqs.endpoint,
      ...queueUrlVariables(created),
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: endpoint,
      STRIPE_SECRET_KEY: LOCAL_STRIPE_KEY,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: stripe.url,
      WEBHOOK_SECRETS_KEY: resources.webhookSecretsKey,
      WEBHOOK_ALLOW_LOCAL_TARGETS: options.allowLocalWebhookTargets ? 'true' : 'false',
    });
    const environments = new Map<FunctionNeeds, Environment>();
    /** Runs one invocation as the function with these needs (one environment, so one container, per function). */
    const asFunction = <T>(needs: FunctionNeeds, run: () => Promise<T>): Promise<T> => {
      let env = environments.get(needs);
      if (!env) {
        env = localEnvironment(needs, resources);
        environments.set(needs, env);
      }
      return withEnvironment(env, run);
    };
    const { log } = options;

    // Lambda's SQS event source mappings, with the settings the CDK stack declares.
    const pollers = queueNames.map((name, i) => {
      const definition = definitions[name];
      const handler = consumers[i];
      if (!handler) throw new Error(`no consumer loaded for queue ${name}`);
      const consumer: SqsConsumer = (event, context) => asFunction(definition.consumer.needs, () => handler(event, context));
      const poller = startEventSourcePoller({
        sqsEndpoint: sqs.endpoint,
        queueUrl: created[name].url,
        handler: name === 'usage' && options.wrapUsageConsumer ? options.wrapUsageConsumer(consumer) : consumer,
        batchSize: definition.consumer.batchSize,
        maximumBatchingWindowSeconds: definition.consumer.maximumBatchingWindowSeconds,
        reportBatchItemFailures: definition.consumer.reportBatchItemFailures,
        functionName: `local-${name}-consumer`,
        concurrency: name === 'usage' ? (options.usageConsumers ?? 1) : 1,
        // Middy aborts a handler whose remaining time runs out: give it the whole visibility
        // timeout locally (tests shorten it to a second or two).
        functionTimeoutSeconds: definition.visibilityTimeoutSeconds,
        ...(log ? { onInvocation: (invocation) => log.queueBatch(queueBatchLine(name, invocation)) } : {}),
      });
      // Stop polling before the endpoint closes.
      stopping.push(() => poller.stop());
      return poller;
    });
    const queuesIdle = async () => {
      for (const p of pollers) await p.idle();
    };

    // The EventBridge schedule: the overage planner on every simulated hour.
    const overageStore = new OverageRepository(createTableRef({ TABLE_NAME: tableName, AWS_REGION: LOCAL_AWS_ENV.AWS_REGION, DYNAMODB_ENDPOINT: endpoint }));
    const entitlementStore = new EntitlementRepository(createTableRef({ TABLE_NAME: tableName, AWS_REGION: LOCAL_AWS_ENV.AWS_REGION, DYNAMODB_ENDPOINT: endpoint }));
    // The run has work when a period that may bill closes, or when an access answer changes with time alone (a grace period ends).
    const firstWork = async () => {
      const end = await overageStore.earliestUnbilledEnd();
      const watch = await entitlementStore.earliestWatch();
      const times = [...(end === null ? [] : [end.getTime() + CLOSE_GRACE_MS]), ...(watch === null ? [] : [watch.getTime()])];
      return times.length === 0 ? null : new Date(Math.min(...times));
    };
    const schedule = hourlySchedule(clock.now(), firstWork, async () => {
      await asFunction(schedules.overagePlanner.needs, () => planner({}, localContext('local-overage-planner')));
      await queuesIdle();
      await stripe.idle();
    });
    clock.register(schedule);

    // The token endpoint reads the client-id mappings the api-clients function writes.
    const apiClientStore = new ApiClientRepository(
      createTableRef({ TABLE_NAME: tableName, AWS_REGION: LOCAL_AWS_ENV.AWS_REGION, DYNAMODB_ENDPOINT: endpoint }),
      { clientLimit: MAX_API_CLIENTS_PER_TENANT },
    );

    const served = options.routeTable ?? routeTable;
    const api: RunningHttpApi = await startHttpApi({
      port: apiPort,
      repoRoot: REPO_ROOT,
      table: served,
      invoke: (group, run) => {
        const needs = served.functionGroups[group];
        if (!needs) throw new Error(`no function group ${group}`);
        return asFunction(needs, run);
      },
      verify: (authorization, audience) => verifyBearer(keys, authorization, audience),
      localRoutes: firstMatch(
        // The clock saves itself (SimulatedClock.load): the target before an advance, each step, the end.
        clockRoute(clock, () => stripe.idle()),
        tokenRoute({ keys, lookup: (clientId) => apiClientStore.lookup(clientId) }),
        webRoute({ distDir: join(REPO_ROOT, WEB_DIST_DIR) }),
      ),
      ...(log ? { onAnswered: logAnswered(log, callerOf) } : {}),
    });
    stopping.push(() => api.close());
    // The page is served by this API: browsers know it as localhost (SPEC section 9) or 127.0.0.1.
    webOrigins.push(`http://localhost:${apiPort}`, `http://127.0.0.1:${apiPort}`);

    // A kill -9 during an advance left its target in clock.json: finish it now, with the API up
    // (Stripe's webhooks come to it), before the stack counts as started.
    const interrupted = clock.pendingAdvance;
    if (interrupted) {
      const resuming = Date.now();
      console.log(`finishing the clock advance to ${interrupted.toISOString()} that a crash interrupted...`);
      try {
        await clock.resume();
        await stripe.idle();
        console.log(`...done in ${((Date.now() - resuming) / 1000).toFixed(1)} s`);
      } catch (error) {
        // The stack still serves; the target stays saved, so the next start tries again.
        console.error('...it failed (the next start tries again):', error);
      }
    }
    return {
      apiUrl: api.url,
      dynamoEndpoint: endpoint,
      stripeUrl: stripe.url,
      tableName,
      keys,
      clock,
      stripe,
      sqsEndpoint: sqs.endpoint,
      sqs,
      usageQueueUrl: usageQueue.url,
      usageDeadLetters: async () => {
        const out = await sqsClient.send(
          new ReceiveMessageCommand({ QueueUrl: usageQueue.deadLetterUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
        );
        return (out.Messages ?? []).map((m) => m.Body ?? '');
      },
      settle: async () => {
        // Each side can cause work for the other (a webhook during usage processing): settle both until quiet.
        for (let i = 0; i < 2; i += 1) {
          await stripe.idle();
          await queuesIdle();
        }
      },
      stop: async () => {
        if (!options.clock) clock.save(clockFile);
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
