import { parseArgs } from 'node:util';
import { API_PREFIX } from '../lib/routes';
import { issueToken } from '../lib/local/jwt';
import { startLocalStack } from '../lib/local/stack';

/** `npm start [-- --reset]`: the whole billing backend on this machine. */
const { values } = parseArgs({ options: { reset: { type: 'boolean', default: false } } });
const port = Number(process.env.PORT ?? 3000);

const stack = await startLocalStack({ port, reset: values.reset, dynamoPort: Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000) });
const tenantToken = await issueToken(stack.keys, { tenantId: 'org-demo', userId: 'user-demo' });
const adminToken = await issueToken(stack.keys, { userId: 'admin-demo', admin: true });

console.log(`
SecureNet Billing is running locally.
  API:            ${stack.apiUrl}${API_PREFIX}
  DynamoDB Local: ${stack.dynamoEndpoint} (table ${stack.tableName}, data in .data/)

Tenant token (org-demo):
  ${tenantToken}
Admin token:
  ${adminToken}

Try:
  curl ${stack.apiUrl}${API_PREFIX}/plans
  TOKEN=${tenantToken}
  curl -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}${API_PREFIX}/plans
More tokens: npm run token -- --tenant org-123 [--admin]
Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping...');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
