import * as z from 'zod';
import type { FieldIssue } from '../app/errors';

/** zod issues as `{field, message}` pairs, fields written as dotted paths (`records.3.usage_amount`). */
export const zodIssues = (error: z.ZodError, root: string): FieldIssue[] =>
  error.issues.map((issue) => ({
    field: issue.path.length === 0 ? root : issue.path.map(String).join('.'),
    message: issue.message,
  }));

/**
 * Text a person typed: well-formed Unicode (no lone surrogates), no control characters, trimmed,
 * within `max` characters. Stripe and our logs get nothing they would choke on.
 */
export const humanText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode')
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');
