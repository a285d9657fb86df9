/**
 * Checks values against the OpenAPI document's JSON Schemas with Ajv (draft 2020-12, the
 * dialect of OpenAPI 3.1, with formats): one Ajv per document, schemas addressed by their JSON
 * pointer in the document so their `#/components/schemas/...` references resolve.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDocument } from '../../src/api/openapi';

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

const DOCUMENT_ID = 'https://securenet.invalid/openapi.json';

/** `['paths', '/invoices/{id}', 'get']` -> `/paths/~1invoices~1%7Bid%7D/get`. */
export const pointer = (...segments: readonly string[]): string =>
  segments.map((s) => `/${encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))}`).join('');

export interface SchemaCheck {
  /** Null when `value` matches the schema at `at` (a JSON pointer into the document), else Ajv's errors as text. */
  (at: string, value: unknown): string | null;
}

export const schemaChecker = (document: OpenApiDocument): SchemaCheck => {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ ...structuredClone(document), $id: DOCUMENT_ID });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return (at, value) => {
    let validate = compiled.get(at);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${at}` });
      compiled.set(at, validate);
    }
    if (validate(value)) return null;
    return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
  };
};

/** The document's operation of a route, or undefined. */
export const documentedOperation = (document: OpenApiDocument, method: string, path: string) => document.paths[path]?.[method.toLowerCase()];
