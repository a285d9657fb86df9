import { InvalidInput } from './errors';

/** The 400 for a cursor this API did not issue for this request. */
export const invalidCursor = (options?: { cause?: unknown }): InvalidInput =>
  Object.assign(new InvalidInput('Invalid cursor', [{ field: 'cursor', message: 'not a cursor this API issued for this request' }]), options);

/**
 * The JSON inside a base64url cursor, or a 400 naming `cursor`.
 * @example parseCursorJson('eyJpIjoxfQ') // { i: 1 }
 */
export const parseCursorJson = (cursor: string): unknown => {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch (cause) {
    throw invalidCursor({ cause });
  }
};
