import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { QUIET_HANDLER_LOG_LEVEL, readableLog } from '../local/log';
import { DEFAULT_DATA_DIR, REPO_ROOT } from '../local/paths';
import { buildWebPage } from '../local/web';

/**
 * `npm start [-- --reset] [--demo] [--data-dir DIR] [--json-logs] [--stripe-latency MS] [--allow-local-webhooks]`:
 * the whole billing backend on this machine; `--demo` then fills it with the demo tenants (`npm run demo`).
 *
 * Only what starts first is imported above: DynamoDB Local's JVM (seconds to answer) and the
 * page build start, and the rest of the stack (handlers, SDKs, emulators) loads while they run.
 */
const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    'allow-local-webhooks': { type: 'boolean', default: false },
    // Another place for the local state than .data/ (the crash test runs stacks in temp dirs).
    'data-dir': { type: 'string' },
    // Milliseconds the local Stripe endpoint waits before each response, like the network to Stripe.
    'stripe-latency': { type: 'string' },
    // The handlers' structured Powertools lines, as deployed functions write them, instead of one line per request.
    'json-logs': { type: 'boolean', default: false },
    // Demo tenants with a few months of history once the stack is up (npm run demo, in this process).
    demo: { type: 'boolean', default: false },
  },
});
const port = Number(process.env.PORT ?? 3000);
const dataDir = values['data-dir'] ? resolve(values['data-dir']) : DEFAULT_DATA_DIR;
const stripeLatencyMs = Number(values['stripe-latency'] ?? 0);
if (!Number.isFinite(stripeLatencyMs) || stripeLatencyMs < 0) throw new Error(`--stripe-latency takes milliseconds, not ${values['stripe-latency']}`);
const jsonLogs = values['json-logs'];

// Read by Powertools when the handlers' modules load (below): set before anything imports them.
// EMF metrics go to stdout in AWS; locally they would drown the logs unless asked for.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
if (!jsonLogs) process.env.POWERTOOLS_LOG_LEVEL ??= QUIET_HANDLER_LOG_LEVEL;

if (values.reset) rmSync(dataDir, { recursive: true, force: true });
const page = buildWebPage({ repoRoot: REPO_ROOT });
const dynamo = startDynamoDbLocal({
  port: Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000),
  dataDir: join(dataDir, 'dynamodb'),
  quickStart: true,
});
// Both are awaited below; until then a failure must not end the process as an unhandled rejection.
page.catch(() => undefined);
dynamo.catch(() => undefined);

const { issueToken } = await import('../local/jwt');
const { API_PREFIX } = await import('../contracts/routes');
const { startLocalStack } = await import('../local/stack');
const stack = await startLocalStack({
  port,
  dataDir,
  dynamo,
  stripeLatencyMs,
  stripePort: Number(process.env.STRIPE_LOCAL_PORT ?? 12111),
  // Default: a free port (the handlers get the endpoint from the stack, nobody else needs it).
  sqsPort: Number(process.env.SQS_LOCAL_PORT ?? 0),
  // Off by default: tenant webhooks may then target http://localhost receivers (never other private ranges).
  // The demo's receiver is one (on loopback, living as long as this process).
  allowLocalWebhookTargets: values['allow-local-webhooks'] || values.demo,
  ...(jsonLogs ? {} : { log: readableLog() }),
});
try {
  await page;
} catch (error) {
  await stack.stop();
  throw error;
}
const startedIn = (performance.now() / 1000).toFixed(1);
// Simulated time also runs with the wall clock: check every second for anything due.
const ticker = setInterval(() => {
  stack.clock.runDueNow().catch((error: unknown) => console.error('clock tick failed', error));
}, 1000);

const tenantToken = await issueToken(stack.keys, { tenantId: 'org-demo', userId: 'user-demo' });
const adminToken = await issueToken(stack.keys, { userId: 'admin-demo', admin: true });
const api = `${stack.apiUrl}${API_PREFIX}`;
// The server listens on loopback; browsers know it as localhost (SPEC section 9).
const pageUrl = `${stack.apiUrl.replace('//127.0.0.1:', '//localhost:')}/`;

console.log(`
SecureNet Billing is running locally. Started in ${startedIn} s.
  Billing page:    ${pageUrl}#token=${tenantToken}
                   (signed in as org-demo; the token moves to session storage and leaves the address bar)
  API:             ${api} (described by ${api}/openapi.json)
  DynamoDB Local:  ${stack.dynamoEndpoint} (table ${stack.tableName}, data in ${dataDir})
  Stripe (local):  ${stack.stripeUrl} (any sk_test_ key; /v1/customers, /v1/subscriptions, /v1/invoices, /v1/events)
  SQS (local):     ${stack.sqsEndpoint} (usage queue ${stack.usageQueueUrl})
  Simulated time:  ${stack.clock.now().toISOString()} (npm run clock -- +31d)

Tenant token (org-demo):
  ${tenantToken}
Admin token:
  ${adminToken}

Try:
  TOKEN=${tenantToken}
  curl ${api}/plans
  curl -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"plan_id":"starter","billing_cycle":"monthly","payment_method":"pm_card_visa","address":{"country":"GB"}}' ${api}/subscriptions/create
  curl -H "Authorization: Bearer $TOKEN" ${api}/subscriptions/current
  npm run clock -- +15d
  curl -H "Authorization: Bearer $TOKEN" ${api}/invoices
More tokens: npm run token -- --tenant org-123 [--admin]
${jsonLogs ? 'Logs: the handlers\' structured JSON lines (--json-logs).' : 'Logs: one line per request, Stripe webhook and queue batch; warnings and errors in full (--json-logs for the handlers\' JSON).'}
Ctrl-C stops everything.
`);

const demo = values.demo ? await import('../local/demo') : null;
const receiver = demo ? await demo.startWebhookReceiver() : null;
if (demo && receiver) {
  console.log('Demo data (--demo): making it takes under a minute...');
  try {
    const summary = await demo.runDemo({
      baseUrl: stack.apiUrl,
      issueToken: (request) => issueToken(stack.keys, request),
      webhookUrls: [receiver.url],
      log: (line) => console.log(`  ${line}`),
    });
    for (const line of demo.describeDemo(summary, { receiver: true })) console.log(line);
  } catch (error) {
    console.error(error instanceof demo.DemoError ? `the demo stopped: ${error.message}` : error);
  }
}

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  await receiver?.close();
  console.log('stopping...');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
