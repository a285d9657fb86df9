import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueToken, loadOrCreateKeys } from '../local/jwt';
import { TOKEN_PATH } from '../local/oauth-token';
import { DEFAULT_DATA_DIR } from '../local/stack';

/**
 * `npm run token -- --tenant org-123 [--admin] [--user u-1] [--expires 1h]`: a person's JWT the local authorizer accepts.
 * `npm run token -- --client <client_id> --secret <secret> [--scope "billing/usage.write"]`: an API client's
 * 15-minute token from the running local stack's token endpoint (`npm start`; `--api` if not on :3000).
 */
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    admin: { type: 'boolean', default: false },
    user: { type: 'string' },
    expires: { type: 'string', default: '12h' },
    client: { type: 'string' },
    secret: { type: 'string' },
    scope: { type: 'string' },
    api: { type: 'string', default: `http://localhost:${process.env.PORT ?? 3000}` },
  },
});
const usage =
  'usage: npm run token -- --tenant <tenant-id> [--admin] [--user <id>] [--expires 12h]\n' +
  '       npm run token -- --client <client_id> --secret <secret> [--scope "<scope> ..."] [--api http://localhost:3000]';

if (values.client !== undefined || values.secret !== undefined) {
  if (!values.client || !values.secret) {
    console.error(usage);
    process.exit(2);
  }
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...(values.scope ? { scope: values.scope } : {}) });
  const res = await fetch(`${values.api}${TOKEN_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(values.client)}:${encodeURIComponent(values.secret)}`).toString('base64')}`,
    },
    body: form.toString(),
  });
  const answer = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !answer.access_token) {
    console.error(`the token endpoint refused: ${res.status} ${answer.error ?? ''} ${answer.error_description ?? ''}`);
    process.exit(1);
  }
  console.log(answer.access_token);
} else {
  if (!values.tenant && !values.admin) {
    console.error(usage);
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
}
