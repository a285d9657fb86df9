import { isRecord } from './params';

/** Which messages of an invocation to delete: all, none, or all but the reported failures. */
export type Settlement =
  | { readonly kind: 'success' }
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'partial'; readonly failed: ReadonlySet<string> };

/**
 * What Lambda's SQS event source mapping makes of a function's answer
 * (docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html, "Success and failure
 * conditions"): the function threw, or reported an invalid response, an empty or null
 * `itemIdentifier` or one that names no message of the batch: the whole batch failed and
 * nothing is deleted. Nothing, an empty or null `batchItemFailures`: all succeeded. Without
 * ReportBatchItemFailures on the mapping, any answer counts as success.
 */
export const settle = (
  outcome: { readonly threw: true; readonly error: unknown } | { readonly threw: false; readonly response: unknown },
  messageIds: ReadonlySet<string>,
  reportBatchItemFailures: boolean,
): Settlement => {
  if (outcome.threw) return { kind: 'failure', reason: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
  const { response } = outcome;
  if (!reportBatchItemFailures || response === undefined || response === null) return { kind: 'success' };
  if (!isRecord(response)) return { kind: 'failure', reason: 'the function returned an invalid partial batch response' };
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const failed = new Set<string>();
  for (const item of failures) {
    const id: unknown = isRecord(item) ? item.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { kind: 'failure', reason: 'a batch item failure has an empty or missing itemIdentifier' };
    if (!messageIds.has(id)) return { kind: 'failure', reason: `itemIdentifier ${id} is not a message of the batch` };
    failed.add(id);
  }
  return { kind: 'partial', failed };
};
