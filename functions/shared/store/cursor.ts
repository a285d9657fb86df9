import { InvalidInput } from '../errors';
import { ATTR, tenantPk } from './keys';

type Key = Record<string, string>;

/** An opaque pagination cursor: DynamoDB's LastEvaluatedKey, base64url-encoded. */
export const encodeCursor = (key: Record<string, unknown> | undefined): string | null =>
  key === undefined ? null : Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * Decodes a cursor and checks it belongs to this tenant's partition: a cursor that was
 * tampered with or taken from another tenant is a 400, never another tenant's page.
 */
export const decodeCursor = (
  cursor: string | undefined,
  tenantId: string,
  /** Index key attributes the cursor must carry unchanged (e.g. the GSI partition). */
  fixed: Record<string, string> = {},
): Key | undefined => {
  if (cursor === undefined) return undefined;
  const invalid = () => new InvalidInput('Invalid cursor', [{ field: 'cursor', message: 'not a cursor this API issued for you' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw Object.assign(invalid(), { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  if (!entries.every((e): e is [string, string] => typeof e[1] === 'string')) throw invalid();
  const key = Object.fromEntries(entries);
  if (key[ATTR.pk] !== tenantPk(tenantId) || typeof key[ATTR.sk] !== 'string') throw invalid();
  if (Object.entries(fixed).some(([name, value]) => key[name] !== value)) throw invalid();
  return key;
};
