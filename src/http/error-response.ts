import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  BillingError,
  Conflict,
  Forbidden,
  InvalidInput,
  InvalidSignature,
  NotFound,
  PayloadTooLarge,
  PaymentRequired,
  RateLimited,
  ServiceUnavailable,
  Unauthenticated,
  UnsupportedMediaType,
} from '../app/errors';
import { toJson } from '../platform/json';

/** The one place a failure kind becomes an HTTP status (SPEC section 7). */
const statusOf = (error: BillingError): number => {
  if (error instanceof InvalidInput || error instanceof InvalidSignature) return 400;
  if (error instanceof Unauthenticated) return 401;
  if (error instanceof PaymentRequired) return 402;
  if (error instanceof Forbidden) return 403;
  if (error instanceof NotFound) return 404;
  if (error instanceof Conflict) return 409;
  if (error instanceof PayloadTooLarge) return 413;
  if (error instanceof UnsupportedMediaType) return 415;
  if (error instanceof RateLimited) return 429;
  if (error instanceof ServiceUnavailable) return 503;
  return 500;
};

/**
 * A JSON response. A `bigint` in the body (counter sums, overage amounts) is written as a JSON
 * integer with every digit, never quoted or rounded.
 * @example jsonResponse(200, { quantity: 10_000_000_000_000n }) // body '{"quantity":10000000000000}'
 */
export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: toJson(body),
});

/**
 * Renders a failure as `{"error": {"code", "message", "details"?}}`. Errors that are not
 * `BillingError`s are internal: their message never reaches the client.
 */
export const errorResponse = (error: unknown): APIGatewayProxyStructuredResultV2 => {
  if (!(error instanceof BillingError)) {
    return jsonResponse(500, { error: { code: 'internal_error', message: 'Internal server error' } });
  }
  const status = statusOf(error);
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  const headers: Record<string, string> =
    error instanceof RateLimited
      ? { 'retry-after': String(error.retryAfterSeconds) }
      : error instanceof ServiceUnavailable
        ? { 'retry-after': '1' }
        : {};
  return jsonResponse(status, body, headers);
};
