/**
 * `npm run openapi [-- --out openapi.json] [--server <api base url>] [--token-url <url>]`: writes the
 * API's OpenAPI 3.1 document (the one `GET /api/billing/openapi.json` serves), to standard output
 * by default. `npm run build:web` writes it next to the page as `web/dist/openapi.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { buildOpenApiDocument } from '../src/api/openapi';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    server: { type: 'string' },
    'token-url': { type: 'string' },
    'admin-group': { type: 'string' },
  },
});

const document = buildOpenApiDocument({
  ...(values.server ? { serverUrl: values.server } : {}),
  ...(values['token-url'] ? { tokenUrl: values['token-url'] } : {}),
  ...(values['admin-group'] ? { adminGroup: values['admin-group'] } : {}),
});
const json = `${JSON.stringify(document, null, 2)}\n`;

if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, json);
  console.error(`wrote ${values.out} (${Object.keys(document.paths).length} paths)`);
} else {
  // `| head` closing the pipe early is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.stdout.write(json);
}
