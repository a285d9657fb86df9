import { webhookQueue } from '../adapters/sqs/sqs-queue';
import { BillingEventsRepository } from '../adapters/dynamodb/billing-events';
import { table } from '../adapters/dynamodb/client';
import { EventPublisher } from '../app/events/publisher';

let shared: EventPublisher | undefined;

/** The container's event publisher: the audit trail, plus the webhook queue where configured. */
export const eventPublisher = (): EventPublisher => (shared ??= new EventPublisher(new BillingEventsRepository(table()), webhookQueue()));
