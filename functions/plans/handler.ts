import { plansApi } from '../../src/api/plans';
import { plansView } from '../../src/domain/catalog';
import { apiHandler } from '../../src/composition/http';
import { operation } from '../../src/http/api';
import { authConfig, documentConfig } from '../../src/platform/config';
import { perEnvironment } from '../../src/platform/environment';

/** Built at the first request, not at this function's cold start. */
const view = perEnvironment(() => plansView());

export const listPlans = operation(plansApi.listPlans, async () => ({ status: 200, body: view() }));

/**
 * `GET /openapi.json`: the API's OpenAPI document. Its builder (every group's contract and the
 * JSON Schema generation) is imported at the first request, not at this function's cold start,
 * and the document is built once per container.
 */
export const openApiDocument = operation(plansApi.openApiDocument, async () => {
  const { openApiDocument: document } = await import('../../src/api/openapi');
  const tokenUrl = documentConfig().OAUTH_TOKEN_URL;
  return {
    status: 200,
    body: document({ adminGroup: authConfig().ADMIN_GROUP, ...(tokenUrl ? { tokenUrl } : {}) }),
    headers: { 'cache-control': 'public, max-age=300' },
  };
});

export const handler = apiHandler('plans', { listPlans, openApiDocument });
