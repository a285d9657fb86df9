import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueToken, loadOrCreateKeys } from '../local/jwt';
import { DEFAULT_DATA_DIR } from '../local/stack';

/** `npm run token -- --tenant org-123 [--admin] [--user u-1] [--expires 1h]`: a JWT the local authorizer accepts. */
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    admin: { type: 'boolean', default: false },
    user: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});
if (!values.tenant && !values.admin) {
  console.error('usage: npm run token -- --tenant <tenant-id> [--admin] [--user <id>] [--expires 12h]');
  process.exit(2);
}
const keys = await loadOrCreateKeys(join(DEFAULT_DATA_DIR, 'keys', 'jwt-es256.json'));
console.log(
  await issueToken(keys, {
    ...(values.tenant ? { tenantId: values.tenant } : {}),
    ...(values.user ? { userId: values.user } : {}),
    admin: values.admin,
    expiresIn: values.expires,
  }),
);
