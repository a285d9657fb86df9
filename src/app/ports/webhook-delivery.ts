/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A webhook URL that passed the checks, with the addresses it may be connected to. */
export interface VettedTarget {
  readonly url: URL;
  readonly addresses: readonly ResolvedAddress[];
}

/** The SSRF guard with its policy and resolver bound: a vetted target, or a TargetRefused. */
export type TargetGuard = (url: string) => Promise<VettedTarget>;

/**
 * Why a URL may not be a webhook target. The message is shown to the tenant, so it never says
 * what a name resolves to (that would map our internal DNS for them); `detail` does, for logs.
 */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
  readonly detail: string | undefined;

  constructor(message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
}

export interface OutgoingWebhook {
  readonly target: VettedTarget;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** What came of one HTTP attempt; `statusCode` null when no response arrived. */
export interface SendResult {
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

/** Posts one webhook; the dispatcher's port to the network (tests use a double). */
export type WebhookSender = (webhook: OutgoingWebhook) => Promise<SendResult>;
