import { unsupportedOperation } from '../errors';
import type { Action } from './context';
import { messageActions } from './messages';
import { queueActions } from './queues';

export type { Action, ActionContext } from './context';

/** Actions of the SQS API that the local endpoint refuses with `UnsupportedOperation`. */
const UNSUPPORTED = [
  'AddPermission',
  'RemovePermission',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
] as const;

export const ACTIONS: Readonly<Record<string, Action>> = {
  ...queueActions,
  ...messageActions,
  ...Object.fromEntries(
    UNSUPPORTED.map((name): [string, Action] => [
      name,
      () => {
        throw unsupportedOperation(name);
      },
    ]),
  ),
};
