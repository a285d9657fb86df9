import { parameterInvalid, parameterMissing, parameterUnknown } from '../errors';
import type { ParamMap, ParamValue } from './form';

/** A metadata change: `''` clears every key; a key set to `''` is removed. */
export type MetadataUpdate = Record<string, string> | '';

/**
 * Reads one endpoint's params strictly: only the names it declares are allowed (Stripe answers
 * an unknown one with 400 `parameter_unknown`), and each value is checked for its type. Errors
 * name the parameter the way Stripe does (`items[0][price]`).
 *
 * @example
 * const p = Params.strict(body, ['customer', 'items', 'expand']);
 * const customer = p.requiredString('customer');
 */
export class Params {
  private constructor(
    private readonly values: ParamMap,
    private readonly prefix: string,
  ) {}

  static strict(values: ParamMap, allowed: readonly string[], prefix = ''): Params {
    const p = new Params(values, prefix);
    for (const key of Object.keys(values)) if (!allowed.includes(key)) throw parameterUnknown(p.name(key));
    return p;
  }

  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  raw(key: string): ParamValue | undefined {
    return this.values[key];
  }

  string(key: string): string | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw parameterInvalid(this.name(key), `Invalid string: ${this.name(key)} must be a string`, 'parameter_invalid_string');
    return v;
  }

  /** A string that must not be empty (Stripe reads `''` as an attempt to unset). */
  nonEmptyString(key: string): string | undefined {
    const v = this.string(key);
    if (v === '') throw parameterInvalid(this.name(key), `You passed an empty string for '${this.name(key)}'. We assume empty values are an attempt to unset a parameter; however '${this.name(key)}' cannot be unset. You should remove '${this.name(key)}' from your request or supply a non-empty value.`, 'parameter_invalid_empty');
    return v;
  }

  requiredString(key: string): string {
    const v = this.nonEmptyString(key);
    if (v === undefined) throw parameterMissing(this.name(key));
    return v;
  }

  int(key: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw parameterInvalid(this.name(key), `Invalid integer: ${v}`, 'parameter_invalid_integer');
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw parameterInvalid(this.name(key), `Invalid integer: ${v}`, 'parameter_invalid_integer');
    if (bounds.min !== undefined && n < bounds.min)
      throw parameterInvalid(this.name(key), `This value must be greater than or equal to ${bounds.min}.`);
    if (bounds.max !== undefined && n > bounds.max)
      throw parameterInvalid(this.name(key), `This value must be less than or equal to ${bounds.max}.`);
    return n;
  }

  requiredInt(key: string, bounds: { min?: number; max?: number } = {}): number {
    const n = this.int(key, bounds);
    if (n === undefined) throw parameterMissing(this.name(key));
    return n;
  }

  /** A decimal string such as `12.5` (Stripe's `*_decimal` params). */
  decimal(key: string): string | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+(\.\d{1,12})?$/.test(v)) throw parameterInvalid(this.name(key), `Invalid decimal: ${v}`, 'parameter_invalid_string');
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw parameterInvalid(this.name(key), `Invalid boolean: ${v}`, 'parameter_invalid_boolean');
  }

  enum<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    const found = allowed.find((a) => a === v);
    if (found === undefined)
      throw parameterInvalid(this.name(key), `Invalid ${this.name(key)}: must be one of ${allowed.join(', ')}`);
    return found;
  }

  /** A unix timestamp or the word `now`. */
  timestampOrNow(key: string): number | 'now' | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (v === 'now') return 'now';
    return this.int(key, { min: 0 });
  }

  /** Accepts `a[]=x`, `a[0]=x` or a single `a=x`. */
  stringList(key: string): string[] | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v === '' ? [] : [v];
    if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
    throw parameterInvalid(this.name(key), `Invalid array: ${this.name(key)} must be a list of strings`, 'parameter_invalid_array');
  }

  metadata(key = 'metadata'): MetadataUpdate | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (v === '') return '';
    if (typeof v !== 'object' || Array.isArray(v)) throw parameterInvalid(this.name(key), `Invalid object: ${this.name(key)} must be a hash`, 'parameter_invalid_object');
    const out: Record<string, string> = {};
    for (const [k, value] of Object.entries(v)) {
      if (typeof value !== 'string') throw parameterInvalid(`${this.name(key)}[${k}]`, `Invalid metadata value for ${k}`);
      if (k.length > 40) throw parameterInvalid(`${this.name(key)}[${k}]`, 'Metadata keys can be at most 40 characters long.');
      if (value.length > 500) throw parameterInvalid(`${this.name(key)}[${k}]`, 'Metadata values can be at most 500 characters long.');
      out[k] = value;
    }
    if (Object.keys(out).length > 50) throw parameterInvalid(this.name(key), 'Metadata can have at most 50 keys.');
    return out;
  }

  /** A nested hash, read strictly against its own allowed names. */
  object(key: string, allowed: readonly string[]): Params | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw parameterInvalid(this.name(key), `Invalid object: ${this.name(key)} must be a hash`, 'parameter_invalid_object');
    return Params.strict(v, allowed, this.name(key));
  }

  /** A list of hashes (`items[0][price]`), each read strictly. */
  objectList(key: string, allowed: readonly string[]): Params[] | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw parameterInvalid(this.name(key), `Invalid array: ${this.name(key)} must be a list`, 'parameter_invalid_array');
    return v.map((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item))
        throw parameterInvalid(`${this.name(key)}[${i}]`, `Invalid object: ${this.name(key)}[${i}] must be a hash`, 'parameter_invalid_object');
      return Params.strict(item, allowed, `${this.name(key)}[${i}]`);
    });
  }

  /** A range filter (`created[gte]=...`) or an exact integer. */
  range(key: string): { gt?: number; gte?: number; lt?: number; lte?: number } | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') {
      const n = this.int(key);
      return n === undefined ? undefined : { gte: n, lte: n };
    }
    const r = this.object(key, ['gt', 'gte', 'lt', 'lte']);
    if (!r) return undefined;
    const out: { gt?: number; gte?: number; lt?: number; lte?: number } = {};
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const n = r.int(op);
      if (n !== undefined) out[op] = n;
    }
    return out;
  }
}

/** Applies a metadata update the way Stripe merges it. */
export const mergeMetadata = (current: Record<string, string> | null, update: MetadataUpdate | undefined): Record<string, string> => {
  if (update === undefined) return { ...(current ?? {}) };
  if (update === '') return {};
  const next = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  return next;
};
