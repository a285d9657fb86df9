/**
 * Schema pieces several contracts share (SPEC section 8): times are ISO 8601 UTC strings, money
 * is integer minor units with a `currency`, per-currency and per-resource objects list every
 * currency and resource of the catalog.
 */
import * as z from 'zod';
import { CURRENCIES, type Currency } from '../domain/money';
import { RESOURCES, type Resource } from '../domain/resources';

/** An instant as the API writes it, e.g. `2027-01-01T00:00:00.000Z`. */
export const instant = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

/** An amount of money in a currency's minor units (cents). */
export const minorUnits = z.int().meta({ description: 'Integer minor units (cents)' });

/**
 * An integer the server keeps exact past 2^53 (a `bigint`: counter sums, overage money) and
 * writes as a JSON integer with every digit; a client that parses JSON into doubles loses digits
 * only past 2^53.
 */
export const exactInteger = z
  .number()
  .refine(Number.isInteger, 'an integer')
  .meta({ type: 'integer', description: 'An integer, exact at any size (written with every digit)' });

/** A currency as the API writes it. */
export const currency = z.enum(CURRENCIES);

/** `usd` -> `[uU][sS][dD]`: JSON Schema has no case-insensitive flag. */
const anyCase = (code: string): string => [...code].map((c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).join('');

/** A currency a client sends: any case, taken in lower case. */
export const currencyCode = z
  .string()
  .toLowerCase()
  .pipe(currency)
  .meta({
    description: `${CURRENCIES.join(', ')} (any case)`,
    pattern: `^(${CURRENCIES.map(anyCase).join('|')})$`,
  });

/** An object with one `schema` per currency of the catalog. */
export const perCurrency = <T extends z.ZodType>(schema: T) =>
  z.strictObject(Object.fromEntries(CURRENCIES.map((c) => [c, schema])) as Record<Currency, T>);

/** An object with one `schema` per metered resource. */
export const perResource = <T extends z.ZodType>(schema: T) =>
  z.strictObject(Object.fromEntries(RESOURCES.map((r) => [r, schema])) as Record<Resource, T>);

/** A page's opaque cursor to the next one; null on the last page. */
export const nextCursor = z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' });
