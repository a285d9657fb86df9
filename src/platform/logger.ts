import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per container; the HTTP middleware adds request and tenant ids. */
export const logger = new Logger({ serviceName: 'securenet-billing' });
