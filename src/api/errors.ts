/**
 * The error bodies of the API (SPEC section 7): ours, `{"error": {"code", "message", "details"?}}`,
 * rendered once by `src/http/error-response.ts`, and API Gateway's own `{"message"}` for what it
 * refuses before any handler runs.
 */
import * as z from 'zod';

/** One field a 400 names, as a dotted path (`records.3.usage_amount`), and why. */
export const fieldIssueSchema = z.strictObject({ field: z.string(), message: z.string() }).meta({ id: 'FieldIssue' });

export const errorSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({
        description:
          'invalid_request, invalid_signature, unauthenticated, forbidden, not_found, conflict, payment_required, ' +
          'payload_too_large, unsupported_media_type, rate_limited, service_unavailable, internal_error',
      }),
      message: z.string(),
      details: z.array(fieldIssueSchema).optional().meta({ description: 'Each field refused and why (400, and a 409 about a field)' }),
    }),
  })
  .meta({ id: 'Error' });

export const gatewayErrorSchema = z
  .strictObject({ message: z.string() })
  .meta({
    id: 'GatewayError',
    description: "API Gateway's own refusal, before any handler: its authorizers' 401 and 403, 413, stage throttling's 429, 500/503",
  });
