import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { API_PREFIX } from '../contracts/routes';
import { issueToken } from '../local/jwt';
import { DEFAULT_DATA_DIR, startLocalStack } from '../local/stack';

/**
 * `npm start [-- --reset] [--data-dir DIR] [--stripe-latency MS] [--allow-local-webhooks]`:
 * the whole billing backend on this machine.
 */
const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    'allow-local-webhooks': { type: 'boolean', default: false },
    // Another place for the local state than .data/ (the crash test runs stacks in temp dirs).
    'data-dir': { type: 'string' },
    // Milliseconds the local Stripe endpoint waits before each response, like the network to Stripe.
    'stripe-latency': { type: 'string' },
  },
});
const port = Number(process.env.PORT ?? 3000);
const dataDir = values['data-dir'] ? resolve(values['data-dir']) : DEFAULT_DATA_DIR;
const stripeLatencyMs = Number(values['stripe-latency'] ?? 0);
if (!Number.isFinite(stripeLatencyMs) || stripeLatencyMs < 0) throw new Error(`--stripe-latency takes milliseconds, not ${values['stripe-latency']}`);

const stack = await startLocalStack({
  port,
  dataDir,
  reset: values.reset,
  stripeLatencyMs,
  dynamoPort: Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000),
  stripePort: Number(process.env.STRIPE_LOCAL_PORT ?? 12111),
  // Default: a free port (the handlers get the endpoint from the stack, nobody else needs it).
  sqsPort: Number(process.env.SQS_LOCAL_PORT ?? 0),
  // Off by default: tenant webhooks may then target http://localhost receivers (never other private ranges).
  allowLocalWebhookTargets: values['allow-local-webhooks'],
});
// Simulated time also runs with the wall clock: check every second for anything due.
const ticker = setInterval(() => {
  stack.clock.runDueNow().catch((error: unknown) => console.error('clock tick failed', error));
}, 1000);

const tenantToken = await issueToken(stack.keys, { tenantId: 'org-demo', userId: 'user-demo' });
const adminToken = await issueToken(stack.keys, { userId: 'admin-demo', admin: true });
const api = `${stack.apiUrl}${API_PREFIX}`;
// The server listens on loopback; browsers know it as localhost (SPEC section 9).
const page = `${stack.apiUrl.replace('//127.0.0.1:', '//localhost:')}/`;

console.log(`
SecureNet Billing is running locally.
  Billing page:    ${page}#token=${tenantToken}
                   (signed in as org-demo; the token moves to session storage and leaves the address bar)
  API:             ${api}
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
Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  console.log('stopping...');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
