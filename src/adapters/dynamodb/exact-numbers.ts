import {
  BatchGetCommand,
  NumberValue,
  QueryCommand,
  type DynamoDBDocumentClientResolvedConfig,
} from '@aws-sdk/lib-dynamodb';

/**
 * Reads whose numbers come back as `NumberValue` (DynamoDB's exact decimal text) instead of a
 * JS number, for these commands only. DynamoDB keeps 38 digits; a JS number only 2^53, and the
 * document client's default turns larger integers into `bigint` and larger decimals into an
 * error. A second document client over the same base client is no way out: it would change
 * the translation config of every client sharing that base.
 */
const exactly = (configuration: DynamoDBDocumentClientResolvedConfig): DynamoDBDocumentClientResolvedConfig => ({
  ...configuration,
  translateConfig: {
    ...configuration.translateConfig,
    unmarshallOptions: { ...configuration.translateConfig?.unmarshallOptions, wrapNumbers: true },
  },
});

/** A `QueryCommand` whose numbers come back as exact `NumberValue`s. */
export class ExactQueryCommand extends QueryCommand {
  protected override addMarshallingMiddleware(configuration: DynamoDBDocumentClientResolvedConfig): void {
    super.addMarshallingMiddleware(exactly(configuration));
  }
}

/** A `BatchGetCommand` whose numbers come back as exact `NumberValue`s. */
export class ExactBatchGetCommand extends BatchGetCommand {
  protected override addMarshallingMiddleware(configuration: DynamoDBDocumentClientResolvedConfig): void {
    super.addMarshallingMiddleware(exactly(configuration));
  }
}

/** The decimal text of a wrapped number (by class, or by shape should two SDK copies meet). */
const numberText = (value: unknown): string | undefined => {
  if (value instanceof NumberValue) return value.toString();
  if (typeof value === 'object' && value !== null && 'value' in value && typeof value.value === 'string') return value.value;
  return undefined;
};

const DECIMAL = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A whole number, exactly, from a DynamoDB number (as read by the commands above, or plain);
 * undefined when the attribute is not a number. A fraction, which counters never have, rounds
 * half up rather than failing a whole period's read.
 * @example exactInteger(NumberValue.from('9007199254740993')) // 9007199254740993n
 */
export const exactInteger = (value: unknown): bigint | undefined => {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.round(value)) : undefined;
  const text = numberText(value);
  const match = text === undefined ? null : DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '0', fraction = '', exponent = '0'] = match;
  const shift = Number(exponent);
  let digits = whole + fraction;
  let point = whole.length + shift;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const integer = BigInt(digits.slice(0, point) || '0');
  const roundUp = (digits[point] ?? '0') >= '5';
  const magnitude = roundUp ? integer + 1n : integer;
  return sign === '-' ? -magnitude : magnitude;
};

/**
 * A JS number from a DynamoDB number (levels, prices: values a number holds); undefined when
 * the attribute is not a number.
 * @example exactNumber(NumberValue.from('5.25')) // 5.25
 */
export const exactNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const text = numberText(value);
  return text === undefined ? undefined : Number(text);
};
