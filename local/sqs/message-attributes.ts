import { createHash } from 'node:crypto';
import { invalidParameterValue, type SqsApiError } from './errors';
import { isRecord } from './params';

/** A message attribute as the endpoint keeps it: binary values as bytes, not base64. */
export interface AttributeValue {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: Buffer;
}

export type Attributes = Readonly<Record<string, AttributeValue>>;

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

const MAX_ATTRIBUTES = 10;
const NAME = /^[A-Za-z0-9_\-.]{1,256}$/;

const lengthPrefixed = (bytes: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** String and Number (and their custom `Number.int` sub-types) travel as 1, Binary as 2. */
const transportType = (dataType: string): number => (dataType.split('.', 1)[0] === 'Binary' ? 2 : 1);

/**
 * MD5OfMessageAttributes as Amazon computes it: attributes sorted by name, each encoded as
 * length-prefixed name, length-prefixed data type, one transport-type byte and the
 * length-prefixed value (lengths 4-byte big-endian), the MD5 of the concatenation in hex.
 * Undefined when there are no attributes (Amazon then leaves the field out).
 */
export const md5OfAttributes = (attributes: Attributes): string | undefined => {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name];
    if (!value) continue;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(value.dataType, 'utf8')), Buffer.from([transportType(value.dataType)]));
    parts.push(lengthPrefixed(value.binaryValue ?? Buffer.from(value.stringValue ?? '', 'utf8')));
  }
  return md5Hex(Buffer.concat(parts));
};

/** What attributes add to a message's size: name, data type and value bytes of each. */
export const attributesSize = (attributes: Attributes): number =>
  Object.entries(attributes).reduce(
    (sum, [name, v]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength(v.dataType) + (v.binaryValue ? v.binaryValue.length : Buffer.byteLength(v.stringValue ?? '')),
    0,
  );

const attributeError = (message: string): SqsApiError => invalidParameterValue(message);

/**
 * Reads `MessageAttributes` (or `MessageSystemAttributes`) from a request, validating them the way
 * SQS does: at most 10, names of `[A-Za-z0-9_-.]` without `AWS.`/`Amazon.` prefixes or stray
 * periods, a String/Number/Binary data type and a non-empty value of that type.
 */
export const parseAttributes = (input: unknown, options: { system?: boolean } = {}): Attributes => {
  if (input === undefined || input === null) return {};
  if (!isRecord(input)) throw attributeError('MessageAttributes must be a map.');
  const entries = Object.entries(input);
  if (entries.length > MAX_ATTRIBUTES) throw attributeError(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
  const out: Record<string, AttributeValue> = {};
  for (const [name, raw] of entries) {
    if (options.system) {
      if (name !== 'AWSTraceHeader') throw attributeError(`Message system attribute name '${name}' is invalid.`);
    } else if (!NAME.test(name) || /^(aws|amazon)\./i.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw attributeError(`Message (user) attribute name '${name}' is invalid.`);
    }
    if (!isRecord(raw) || typeof raw.DataType !== 'string' || raw.DataType === '') {
      throw attributeError(`The message attribute '${name}' must contain a non-empty message attribute type.`);
    }
    const dataType = raw.DataType;
    const base = dataType.split('.', 1)[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
      throw attributeError(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (raw.StringListValues !== undefined || raw.BinaryListValues !== undefined) {
      throw attributeError(`Message (user) attribute '${name}': list values are reserved for future use.`);
    }
    if (base === 'Binary') {
      if (typeof raw.BinaryValue !== 'string' || raw.BinaryValue === '') {
        throw attributeError(`Message (user) attribute '${name}' must contain a non-empty value of type '${dataType}'.`);
      }
      out[name] = { dataType, binaryValue: Buffer.from(raw.BinaryValue, 'base64') };
      continue;
    }
    if (typeof raw.StringValue !== 'string' || raw.StringValue === '') {
      throw attributeError(`Message (user) attribute '${name}' must contain a non-empty value of type '${dataType}'.`);
    }
    if (base === 'Number' && !Number.isFinite(Number(raw.StringValue))) {
      throw attributeError(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    out[name] = { dataType, stringValue: raw.StringValue };
  }
  return out;
};

/** The wire shape of the JSON protocol (`BinaryValue` in base64). */
export const attributesToWire = (attributes: Attributes): Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, v]) => [
      name,
      { DataType: v.dataType, ...(v.binaryValue ? { BinaryValue: v.binaryValue.toString('base64') } : { StringValue: v.stringValue ?? '' }) },
    ]),
  );

/**
 * Picks the attributes a `MessageAttributeNames` list asks for: `All`, `*` or `.*`, exact names,
 * and prefixes written `Prefix.*` (`Hel.*` picks `Hello` and `Help.Me`).
 */
export const selectAttributes = (attributes: Attributes, requested: readonly string[]): Attributes => {
  if (requested.length === 0) return {};
  if (requested.some((r) => r === 'All' || r === '.*' || r === '*')) return attributes;
  const exact = new Set(requested.filter((r) => !r.endsWith('.*')));
  const prefixes = requested.filter((r) => r.endsWith('.*')).map((r) => r.slice(0, -2));
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => exact.has(name) || prefixes.some((p) => name.startsWith(p))));
};
