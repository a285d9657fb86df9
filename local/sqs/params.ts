import { invalidParameter, missingParameter, serializationError } from './errors';

/** A decoded JSON request body: member names as the SQS model spells them. */
export type Input = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const parseInput = (raw: string): Input => {
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw Object.assign(serializationError('The request body is not valid JSON.'), { cause: error });
  }
  if (!isRecord(value)) throw serializationError('The request body must be a JSON object.');
  return value;
};

export function str(input: Input, name: string, required: true): string;
export function str(input: Input, name: string, required?: false): string | undefined;
export function str(input: Input, name: string, required = false): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || (required && value === '')) {
    if (required) throw missingParameter(name);
    return undefined;
  }
  if (typeof value !== 'string') throw serializationError(`${name} must be a string.`);
  return value;
}

/** An integer in `[min, max]`, with SQS's wording when it is not (`Must be >= 0 and <= 20, if provided.`). */
export const int = (input: Input, name: string, min: number, max: number, reason?: string): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw serializationError(`${name} must be an integer.`);
  if (value < min || value > max) throw invalidParameter(name, value, reason ?? `Must be >= ${min} and <= ${max}, if provided.`);
  return value;
};

export const strings = (input: Input, name: string): string[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw serializationError(`${name} must be a list of strings.`);
  return value;
};

export const stringMap = (input: Input, name: string): Record<string, string> => {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw serializationError(`${name} must be a map.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw serializationError(`${name}.${k} must be a string.`);
    out[k] = v;
  }
  return out;
};

export const records = (input: Input, name: string): Input[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isRecord)) throw serializationError(`${name} must be a list of structures.`);
  return value;
};
