/**
 * Errors in Stripe's wire shape: `{"error": {type, code?, message, param?, decline_code?}}`
 * with Stripe's HTTP statuses. Handlers throw them; the server renders them once.
 */
export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  readonly type: StripeErrorType;
  readonly message: string;
  readonly code?: string;
  readonly param?: string;
  readonly decline_code?: string;
  readonly doc_url?: string;
}

export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  /** A replayable outcome (a decline) rather than a request Stripe refused to execute. */
  readonly executed: boolean;

  constructor(status: number, body: StripeErrorBody, options: { executed?: boolean; cause?: unknown } = {}) {
    super(body.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StripeApiError';
    this.status = status;
    this.body = body;
    this.executed = options.executed ?? false;
  }
}

const docUrl = (code: string): string => `https://docs.stripe.com/error-codes/${code.replace(/_/g, '-')}`;

export const invalidRequest = (message: string, options: { param?: string; code?: string; status?: number } = {}): StripeApiError =>
  new StripeApiError(options.status ?? 400, {
    type: 'invalid_request_error',
    message,
    ...(options.code ? { code: options.code, doc_url: docUrl(options.code) } : {}),
    ...(options.param ? { param: options.param } : {}),
  });

/**
 * `No such customer: 'cus_123'`, code `resource_missing`: 404 for the object in the URL, 400 for
 * an id passed in a parameter (as Stripe answers both).
 */
export const resourceMissing = (noun: string, id: string, param = 'id'): StripeApiError =>
  invalidRequest(`No such ${noun}: '${id}'`, { code: 'resource_missing', param, status: param === 'id' ? 404 : 400 });

export const parameterMissing = (param: string): StripeApiError =>
  invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });

export const parameterUnknown = (param: string): StripeApiError =>
  invalidRequest(
    `Received unknown parameter: ${param}. (The local Stripe endpoint rejects parameters it does not model; see docs/local-stripe.md.)`,
    { code: 'parameter_unknown', param },
  );

export const parameterInvalid = (param: string, message: string, code?: string): StripeApiError =>
  invalidRequest(message, { param, ...(code ? { code } : {}) });

/** A declined charge: 402 `card_error`. It is an outcome, so idempotent replays repeat it. */
export const cardDeclined = (
  options: { message?: string; declineCode?: string; code?: string; param?: string } = {},
): StripeApiError =>
  new StripeApiError(
    402,
    {
      type: 'card_error',
      code: options.code ?? 'card_declined',
      decline_code: options.declineCode ?? 'generic_decline',
      message: options.message ?? 'Your card was declined.',
      doc_url: docUrl(options.code ?? 'card_declined'),
      ...(options.param ? { param: options.param } : {}),
    },
    { executed: true },
  );

export const idempotencyMismatch = (key: string): StripeApiError =>
  new StripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });

export const idempotencyInUse = (key: string): StripeApiError =>
  new StripeApiError(409, {
    type: 'idempotency_error',
    code: 'idempotency_key_in_use',
    message: `There is currently another in-progress request using this Stripe token (probably the same idempotency key: '${key}'). Try again later.`,
  });

export const authenticationFailed = (message: string): StripeApiError =>
  new StripeApiError(401, { type: 'invalid_request_error', message });

export const routeMissing = (method: string, path: string): StripeApiError =>
  invalidRequest(`Unrecognized request URL (${method}: ${path}). The local Stripe endpoint does not model it; see docs/local-stripe.md.`, {
    status: 404,
  });

export const internalError = (cause: unknown): StripeApiError =>
  new StripeApiError(500, { type: 'api_error', message: 'The local Stripe endpoint failed to handle the request.' }, { cause });
