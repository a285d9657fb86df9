import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoError, describeDemo, httpClock, runDemo, startWebhookReceiver, type DemoSummary } from '../local/demo';
import { issueToken, loadOrCreateKeys } from '../local/jwt';
import { DEFAULT_DATA_DIR } from '../local/stack';

/**
 * `npm run demo [-- --again] [--data-dir DIR] [--webhook-url URL]`: demo tenants with a few
 * months of history in the running local stack (PORT, default 3000), through its API and clock.
 */
const { values } = parseArgs({
  options: {
    // A second demo beside the first, with new tenant ids.
    again: { type: 'boolean', default: false },
    // The stack's --data-dir: its token signing keys are there.
    'data-dir': { type: 'string' },
    // A receiver of your own for the tenant webhook, instead of the demo's loopback one.
    'webhook-url': { type: 'string' },
  },
});
const port = process.env.PORT ?? '3000';
const baseUrl = `http://127.0.0.1:${port}`;
const keysFile = join(values['data-dir'] ? resolve(values['data-dir']) : DEFAULT_DATA_DIR, 'keys', 'jwt-es256.json');

const clock = httpClock(baseUrl);
const startedAt = await clock.now().catch((error: unknown) => {
  console.error(`cannot reach the local stack at ${baseUrl}: is npm start running? (${String(error)})`);
  process.exit(1);
});
// Never make a key pair here: the stack would refuse every token signed with it.
if (!existsSync(keysFile)) {
  console.error(`no token signing keys at ${keysFile}: give the stack's --data-dir (npm run demo -- --data-dir DIR)`);
  process.exit(1);
}
const keys = await loadOrCreateKeys(keysFile);
const ownReceiver = values['webhook-url'];
// The demo's own receiver lives as long as this command (the stack takes it with --allow-local-webhooks).
const receiver = ownReceiver ? null : await startWebhookReceiver();
const webhookUrl = ownReceiver ?? receiver?.url;

console.log(`Demo data for the local stack at ${baseUrl} (simulated time ${startedAt.toISOString()}); making it takes under a minute...`);
let summary: DemoSummary;
try {
  summary = await runDemo({
    baseUrl,
    issueToken: (request) => issueToken(keys, request),
    clock,
    ...(values.again ? { suffix: startedAt.getTime().toString(36) } : {}),
    webhookUrls: webhookUrl ? [webhookUrl] : [],
    disableWebhookAtEnd: receiver !== null,
    log: (line) => console.log(`  ${line}`),
  });
} catch (error) {
  console.error(error instanceof DemoError ? `the demo stopped: ${error.message}` : error);
  process.exit(1);
} finally {
  await receiver?.close();
}

for (const line of describeDemo(summary, { receiver: receiver !== null })) console.log(line);
