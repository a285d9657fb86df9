import type * as z from 'zod';
import type { FieldIssue } from '../app/errors';

/** zod issues as `{field, message}` pairs, fields written as dotted paths (`records.3.usage_amount`). */
export const zodIssues = (error: z.ZodError, root: string): FieldIssue[] =>
  error.issues.map((issue) => ({
    field: issue.path.length === 0 ? root : issue.path.map(String).join('.'),
    message: issue.message,
  }));
