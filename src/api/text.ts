/** Pure zod helpers for text a person typed, shared by the request schemas of several groups. */
import * as z from 'zod';

/**
 * Text a person typed: well-formed Unicode (no lone surrogates), no control characters, trimmed,
 * within `max` characters. Stripe and our logs get nothing they would choke on.
 * @example
 * const name = humanText(200).optional();
 */
export const humanText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode')
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');
