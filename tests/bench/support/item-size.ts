import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** One write capacity unit covers an item of up to 1 KB; larger items round up per started KB. */
export const WRITE_UNIT_BYTES = 1024;

/**
 * A number's size as DynamoDB documents it (CapacityUnitCalculations): one byte per two
 * significant digits, leading and trailing zeros trimmed, plus one byte (and one for a sign).
 */
export const numberBytes = (text: string): number => {
  const negative = text.trim().startsWith('-');
  const [mantissa = ''] = text.trim().replace(/^[+-]/, '').toLowerCase().split('e');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1 + (negative ? 1 : 0);
};

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The size of one attribute value (without its name). */
export const attributeValueBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  // Lists and maps: 3 bytes, plus 1 byte per element (and a map entry's name).
  if (value.L !== undefined) return value.L.reduce((n, v) => n + 1 + attributeValueBytes(v), 3);
  if (value.M !== undefined) return Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + attributeValueBytes(v), 3);
  return 0;
};

/** An item's size: the UTF-8 length of each attribute name plus the size of its value. */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + attributeValueBytes(value), 0);

/** Write units for one item of `bytes` (a write always costs at least one unit). */
export const writeUnitsFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
