import type { Clock } from '../../platform/clock';
import { toJson } from '../../platform/json';
import { logger } from '../../platform/logger';
import type { MessageQueue, RetryControl } from '../ports/queue';
import type { AttemptStatus, DeliveryAttempt, WebhookEndpoint, WebhookStore } from '../ports/webhooks';
import { retryDelaySeconds, type RetryPolicy } from '../../domain/webhooks/backoff';
import { secretContext } from './endpoints';
import { deliveryBody, parseWebhookMessage, type DeliveryMessage, type WebhookQueueMessage } from './messages';
import type { SecretBox } from './secret-box';
import { SIGNATURE_HEADERS, signatureHeader } from './signature';
import { TargetRefused, type SendResult, type TargetGuard, type VettedTarget, type WebhookSender } from '../ports/webhook-delivery';

/** One message of a batch, as the SQS event carries it. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount: 1 on the first receive. */
  readonly receiveCount: number;
}

/** What the dispatcher needs of the webhook store. */
export type DeliveryStore = Pick<WebhookStore, 'list' | 'get' | 'claim' | 'recordAttempt'>;

export interface DispatcherDeps {
  readonly repository: DeliveryStore;
  /** Where the fan-out puts one delivery message per endpoint (the same queue). */
  readonly queue: MessageQueue;
  readonly retries: RetryControl;
  readonly secretBox: () => Promise<SecretBox>;
  /** The SSRF guard, run again before every attempt (DNS may have changed since configuration). */
  readonly vet: TargetGuard;
  readonly send: WebhookSender;
  readonly policy: RetryPolicy;
  readonly timeoutMs: number;
  /** Business time (the simulated clock locally): when attempts are logged as made. */
  readonly clock: Clock;
  /** Wall-clock milliseconds: signature timestamps (receivers check them against their clock) and leases. */
  readonly wallClock?: () => number;
  readonly random?: () => number;
  /** Told about every attempt once it is recorded (business metrics). */
  readonly onAttempt?: (attempt: DeliveryAttempt) => void;
}

const USER_AGENT = 'SecureNet-Webhooks/1';

/** The claim outlives one attempt: the timeout plus room for the writes around it. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Delivers tenant events to their webhook endpoints (the webhook queue's consumer).
 *
 * Fan-out: a `TenantEventMessage` (from the EventPublisher) becomes one delivery message per
 * enabled endpoint subscribed to its type, put back on the same queue, so each endpoint is
 * retried on its own schedule and lands in the dead-letter queue on its own.
 *
 * Delivery: the endpoint is re-read (a disabled, unsubscribed or deleted one gets nothing),
 * the attempt is claimed in DynamoDB (counted, leased, refused when already delivered), the
 * URL is vetted again and the signed POST goes to the vetted addresses only. The attempt and
 * the end of the claim are written together. A failure hides the message for the backoff
 * delay (ChangeMessageVisibility) and reports it failed; after maxReceiveCount receives SQS
 * moves it to the dead-letter queue. So each event reaches each endpoint until one attempt
 * succeeds, and after a success copies are dropped (a crash between the POST and the write
 * can still repeat it: receivers dedupe on the event id).
 */
export class WebhookDispatcher {
  private readonly wallClock: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.wallClock = deps.wallClock ?? Date.now;
  }

  /** Processes a batch; answers the message ids to report as failed (to be redelivered). */
  async processBatch(messages: readonly QueuedMessage[]): Promise<string[]> {
    const outcomes = await Promise.all(messages.map(async (m) => ((await this.process(m)) ? null : m.messageId)));
    return outcomes.filter((id): id is string => id !== null);
  }

  /** True when the message is done with (delete it), false to have it redelivered. */
  private async process(message: QueuedMessage): Promise<boolean> {
    const parsed = parseWebhookMessage(message.body);
    if (!parsed) {
      // Poison: left to SQS's own visibility timeout, then the dead-letter queue.
      logger.error('unreadable webhook queue message', { message_id: message.messageId });
      return false;
    }
    try {
      return parsed.kind === 'event' ? await this.fanOut(parsed) : await this.deliver(parsed, message);
    } catch (error) {
      logger.error('webhook message failed; retrying later', { message_id: message.messageId, error });
      await this.retryLater(message, retryDelaySeconds(message.receiveCount, this.deps.policy, this.deps.random));
      return false;
    }
  }

  private async fanOut(message: WebhookQueueMessage & { kind: 'event' }): Promise<boolean> {
    const endpoints = (await this.deps.repository.list(message.tenant_id)).filter((e) => subscribed(e, message.event.type));
    if (endpoints.length === 0) return true;
    await this.deps.queue.sendAll(
      endpoints.map((endpoint, i) => {
        const delivery: DeliveryMessage = { kind: 'delivery', tenant_id: message.tenant_id, endpoint_id: endpoint.id, event: message.event };
        return { id: String(i), body: toJson(delivery) };
      }),
    );
    logger.info('webhook event fanned out', { tenant_id: message.tenant_id, event_id: message.event.id, endpoints: endpoints.length });
    return true;
  }

  private async deliver(message: DeliveryMessage, queued: QueuedMessage): Promise<boolean> {
    const context = { tenant_id: message.tenant_id, endpoint_id: message.endpoint_id, event_id: message.event.id };
    const endpoint = await this.deps.repository.get(message.tenant_id, message.endpoint_id);
    if (!endpoint || !subscribed(endpoint, message.event.type)) {
      logger.info('webhook delivery skipped: endpoint deleted, disabled or unsubscribed', context);
      return true;
    }
    const claim = await this.deps.repository.claim(message.tenant_id, endpoint.id, message.event.id, this.wallClock(), this.deps.timeoutMs + LEASE_MARGIN_MS);
    if (claim.kind === 'delivered') return true;
    if (claim.kind === 'busy') {
      await this.retryLater(queued, claim.retryInSeconds);
      return false;
    }

    let result: SendResult;
    try {
      result = await this.attempt(endpoint, message, claim.attempt);
    } catch (error) {
      // Our side failed (e.g. the key could not be read): still an attempt, logged and retried.
      logger.error('webhook delivery could not be attempted', { ...context, error });
      result = { statusCode: null, latencyMs: 0, error: 'internal error before sending' };
    }
    const succeeded = result.error === null && result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const maxReceives = succeeded ? null : await this.deps.retries.maxReceiveCount();
    const last = maxReceives !== null && queued.receiveCount >= maxReceives;
    const delay = succeeded || last ? 0 : retryDelaySeconds(queued.receiveCount, this.deps.policy, this.deps.random);
    const now = this.deps.clock.now();
    const status: AttemptStatus = succeeded ? 'succeeded' : last ? 'failed' : 'retrying';
    const record: DeliveryAttempt = {
      tenant_id: message.tenant_id,
      endpoint_id: endpoint.id,
      event_id: message.event.id,
      event_type: message.event.type,
      attempt: claim.attempt,
      status,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      error: result.error ?? (succeeded ? null : `HTTP ${result.statusCode ?? '?'}`),
      attempted_at: now.toISOString(),
      next_attempt_at: succeeded || last ? null : new Date(now.getTime() + delay * 1000).toISOString(),
    };
    await this.deps.repository.recordAttempt(record, this.wallClock());
    this.deps.onAttempt?.(record);
    logger.info('webhook delivery attempt', { ...context, attempt: claim.attempt, status, status_code: result.statusCode, latency_ms: result.latencyMs });
    if (succeeded) return true;
    // The last attempt: visible again at once, so SQS moves it to the dead-letter queue now.
    await this.retryLater(queued, delay);
    return false;
  }

  /** One signed POST, or the guard's refusal as a failed attempt with no status code. */
  private async attempt(endpoint: WebhookEndpoint, message: DeliveryMessage, attempt: number): Promise<SendResult> {
    let target: VettedTarget;
    try {
      target = await this.deps.vet(endpoint.url);
    } catch (error) {
      if (error instanceof TargetRefused) {
        logger.warn('webhook target refused', { tenant_id: endpoint.tenant_id, endpoint_id: endpoint.id, reason: error.detail ?? error.message });
        return { statusCode: null, latencyMs: 0, error: `refused: ${error.message}` };
      }
      throw error;
    }
    const body = deliveryBody(message);
    const timestamp = Math.floor(this.wallClock() / 1000);
    return this.deps.send({
      target,
      body,
      timeoutMs: this.deps.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        [SIGNATURE_HEADERS.timestamp]: String(timestamp),
        [SIGNATURE_HEADERS.signature]: signatureHeader(await this.secretsOf(endpoint), timestamp, body),
        'x-securenet-event-id': message.event.id,
        'x-securenet-event-type': message.event.type,
        'x-securenet-delivery-attempt': String(attempt),
      },
    });
  }

  /** The current secret, and the previous one while its grace period runs. */
  private async secretsOf(endpoint: WebhookEndpoint): Promise<string[]> {
    const box = await this.deps.secretBox();
    const context = secretContext(endpoint.tenant_id, endpoint.id);
    const secrets = [box.open(endpoint.secret_sealed, context)];
    const previousValid = endpoint.previous_secret_expires_at !== null && Date.parse(endpoint.previous_secret_expires_at) > this.deps.clock.now().getTime();
    if (endpoint.previous_secret_sealed !== null && previousValid) secrets.push(box.open(endpoint.previous_secret_sealed, context));
    return secrets;
  }

  private async retryLater(message: QueuedMessage, seconds: number): Promise<void> {
    try {
      await this.deps.retries.delay(message.receiptHandle, seconds);
    } catch (error) {
      // The message still comes back, after the queue's visibility timeout instead.
      logger.warn('could not set the retry delay', { message_id: message.messageId, seconds, error });
    }
  }
}

const subscribed = (endpoint: WebhookEndpoint, type: string): boolean => endpoint.enabled && endpoint.events.some((e) => e === type);
