import { randomUUID } from 'node:crypto';

/**
 * JSON with exact big integers. Counter sums and overage amounts are `bigint`s that may pass
 * 2^53: `JSON.stringify` throws on a `bigint` and `JSON.parse` rounds such integers. Node 20
 * (local) has no `JSON.rawJSON`, so the same code runs everywhere: a `bigint` is written as a
 * marked string which is then unquoted, and a big integer literal is read back the reverse
 * way. The mark carries a random id per container, so no string in the data can imitate it.
 */
const ID = randomUUID();
const MARK = `\u0000bigint:${ID}:`;
/** A marked string as `JSON.stringify` writes it (the NUL escaped as `\u0000`). */
const MARKED = new RegExp(`"\\\\u0000bigint:${ID}:(-?\\d+)"`, 'g');
/** Strings (skipped whole, escapes included) and number literals of JSON text. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * `JSON.stringify` that writes a `bigint` as a JSON integer with all its digits.
 * @example toJson({ quantity: 10n ** 16n + 1n }) // '{"quantity":10000000000000001}'
 */
export const toJson = (value: unknown, space?: number): string => {
  let marked = false;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      marked = true;
      return `${MARK}${v.toString()}`;
    },
    space,
  );
  return marked ? text.replace(MARKED, '$1') : text;
};

/**
 * `JSON.parse` that reads integers past `Number.MAX_SAFE_INTEGER` as exact `bigint`s (every
 * other number as usual), the inverse of `toJson`. Throws like `JSON.parse` on malformed text.
 * @example parseJson('{"amount":9007199254740993}') // { amount: 9007199254740993n }
 */
export const parseJson = (text: string): unknown => {
  let marked = false;
  const safe = text.replace(TOKENS, (token) => {
    if (token.startsWith('"') || /[.eE]/.test(token) || Number.isSafeInteger(Number(token))) return token;
    marked = true;
    return JSON.stringify(`${MARK}${token}`);
  });
  if (!marked) return JSON.parse(text) as unknown;
  return JSON.parse(safe, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v)) as unknown;
};
