import { batchEntryIdsNotDistinct, emptyBatchRequest, invalidBatchEntryId, SqsApiError, tooManyEntriesInBatchRequest } from '../errors';
import { type Input, records, str } from '../params';

export const MAX_BATCH_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The request-level checks every batch action makes before looking at any entry. */
export const batchEntries = (input: Input, entryShape: string): { id: string; entry: Input }[] => {
  const entries = records(input, 'Entries');
  if (entries.length === 0) throw emptyBatchRequest(entryShape);
  if (entries.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const id = str(entry, 'Id') ?? '';
    if (!ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (seen.has(id)) throw batchEntryIdsNotDistinct(id);
    seen.add(id);
    return { id, entry };
  });
};

export interface BatchResult<T> {
  Successful?: T[];
  Failed?: { Id: string; Code: string; Message: string; SenderFault: boolean }[];
}

/** Runs `each` per entry; an `SqsApiError` becomes that entry's failure, anything else fails the request. */
export const perEntry = <T>(entries: { id: string; entry: Input }[], each: (id: string, entry: Input) => T): BatchResult<T> => {
  const successful: T[] = [];
  const failed: NonNullable<BatchResult<T>['Failed']> = [];
  for (const { id, entry } of entries) {
    try {
      successful.push(each(id, entry));
    } catch (error) {
      if (!(error instanceof SqsApiError)) throw error;
      failed.push(error.entry(id));
    }
  }
  // SQS leaves an empty list out of the JSON answer.
  return { ...(successful.length > 0 ? { Successful: successful } : {}), ...(failed.length > 0 ? { Failed: failed } : {}) };
};
