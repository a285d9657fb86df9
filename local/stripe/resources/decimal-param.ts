import { parameterInvalid } from '../errors';
import type { Params } from './context';

/** A decimal number parameter (`percent_off=12.5`), within bounds. */
export const decimalParam = (p: Params, key: string, bounds: { min: number; max: number; minExclusive?: boolean }): number | undefined => {
  const v = p.string(key);
  if (v === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw parameterInvalid(p.name(key), `Invalid decimal: ${v}`, 'parameter_invalid_decimal');
  const n = Number(v);
  if (n > bounds.max || n < bounds.min || (bounds.minExclusive && n === bounds.min))
    throw parameterInvalid(p.name(key), `${p.name(key)} must be ${bounds.minExclusive ? 'greater than' : 'at least'} ${bounds.min} and at most ${bounds.max}.`);
  return n;
};
