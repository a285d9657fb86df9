import { describe, expect, it } from 'vitest';
import { routes } from '../../../contracts/routes';
import { deployedApiDocument } from '../../../lib/constructs/web-site';

/** `openapi.json` next to the deployed page: the same document, addressed to the deployment. */
describe('the API document deployed next to the page', () => {
  const document = deployedApiDocument({ apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/api/billing', tokenUrl: 'https://p.auth.eu-west-1.amazoncognito.com/oauth2/token' });

  it('names the API as its server, not the page host', () => {
    expect(document.servers).toEqual([{ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/api/billing', description: 'The billing API' }]);
  });

  it("sends machine credentials to the user pool domain's token endpoint", () => {
    const schemes = (document.components as { securitySchemes: Record<string, { type: string; flows?: { clientCredentials?: { tokenUrl: string; scopes: object } } }> }).securitySchemes;
    const oauth = Object.values(schemes).filter((s) => s.type === 'oauth2');
    expect(oauth).toHaveLength(1);
    expect(oauth[0]?.flows?.clientCredentials?.tokenUrl).toBe('https://p.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(Object.keys(oauth[0]?.flows?.clientCredentials?.scopes ?? {})).toContain('billing/usage.write');
  });

  it('keeps every route of the table', () => {
    const paths = document.paths as Record<string, Record<string, unknown>>;
    for (const route of routes) expect(paths[`${route.path}`]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
  });
});
