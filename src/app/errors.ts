/**
 * Typed failures. Code throws these; the HTTP layer maps each kind to a status once
 * (`http/error-response.ts`). Anything else thrown is an internal error and becomes a plain 500.
 */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export abstract class BillingError extends Error {
  abstract readonly code: string;
  readonly details?: unknown;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
}

/** Input that fails validation; `details` names each field and why. */
export class InvalidInput extends BillingError {
  readonly code = 'invalid_request';
  constructor(message: string, issues: readonly FieldIssue[] = []) {
    super(message, { details: issues });
  }
}

export class Unauthenticated extends BillingError {
  readonly code = 'unauthenticated';
}

export class Forbidden extends BillingError {
  readonly code = 'forbidden';
}

export class NotFound extends BillingError {
  readonly code = 'not_found';
}

export class Conflict extends BillingError {
  readonly code = 'conflict';
}

export class PayloadTooLarge extends BillingError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaType extends BillingError {
  readonly code = 'unsupported_media_type';
}

export class RateLimited extends BillingError {
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A webhook whose signature does not verify (or is too old). */
export class InvalidSignature extends BillingError {
  readonly code = 'invalid_signature';
}

/** The customer's card was declined or needs another payment method. */
export class PaymentRequired extends BillingError {
  readonly code = 'payment_required';
}

/** A dependency did not take the request; nothing was accepted and a retry is safe. */
export class ServiceUnavailable extends BillingError {
  readonly code = 'service_unavailable';
}

/**
 * The payment provider refused a request for good (a 4xx other than 429): retrying the same
 * request cannot succeed. Callers record it with its reason instead of retrying forever.
 */
export class ProviderRefusal extends BillingError {
  readonly code = 'provider_refusal';
}

/**
 * A provider object sold at a price that is not one of our catalog's (made in the Dashboard,
 * by Checkout, or by a Stripe CLI fixture): nothing of ours to mirror.
 */
export class NotInCatalog extends BillingError {
  readonly code = 'not_in_catalog';
}
