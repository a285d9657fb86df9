import { webhookQueue } from '../queue/sqs-queue';
import { BillingEventsRepository } from '../store/billing-events';
import { table } from '../store/client';
import { EventPublisher } from './publisher';

let shared: EventPublisher | undefined;

/** The container's event publisher: the audit trail, plus the webhook queue where configured. */
export const eventPublisher = (): EventPublisher => (shared ??= new EventPublisher(new BillingEventsRepository(table()), webhookQueue()));
