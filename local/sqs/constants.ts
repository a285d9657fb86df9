/** Where the local endpoint says its queues live (any region and credentials are accepted). */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Requests carrying this header (the poller's `idle()` checks) are left out of the stats. */
export const INSPECTION_HEADER = 'x-local-sqs-inspection';
