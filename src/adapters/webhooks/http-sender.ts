import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress, SendResult, WebhookSender } from '../../app/ports/webhook-delivery';

/** A response body is read this far (then dropped): nothing from it is kept. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 300;

/**
 * A `lookup` that answers only with the addresses the guard vetted, so the socket connects to
 * exactly those: no second DNS query that could answer differently (DNS rebinding). Handles
 * both shapes Node asks for (`all: true` for happy eyeballs, else one address).
 */
export const pinnedLookup =
  (addresses: readonly ResolvedAddress[]): LookupFunction =>
  (_hostname, options, callback) => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const usable = addresses.filter((a) => family === 0 || a.family === family);
    const [first] = usable;
    if (!first) {
      callback(Object.assign(new Error(`no vetted IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };

const describe = (error: unknown, timeoutMs: number): string => {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, MAX_ERROR_LENGTH);
};

/**
 * Node's http(s) client, one fresh connection per attempt (no pooled socket from an earlier
 * vetting), to the vetted addresses only, certificate checked against the URL's host name,
 * redirects not followed (a 3xx is a failed attempt), the whole attempt bounded by `timeoutMs`.
 */
export const sendWebhook: WebhookSender = (webhook) =>
  new Promise((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, latencyMs: elapsed() });
    };
    const { url } = webhook.target;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const onResponse = (response: IncomingMessage) => {
      const statusCode = response.statusCode ?? null;
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) response.destroy();
      });
      // Once the status is in, a body cut short (by the size cap or the timeout) changes nothing.
      response.on('error', (error) => finish({ statusCode, error: statusCode === null ? describe(error, webhook.timeoutMs) : null }));
      response.on('end', () => finish({ statusCode, error: null }));
      response.on('close', () => finish({ statusCode, error: null }));
      if (statusCode !== null && statusCode >= 300 && statusCode < 400) {
        finish({ statusCode, error: `redirect not followed${response.headers.location ? ` (to ${response.headers.location.slice(0, 200)})` : ''}` });
      }
    };
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { ...webhook.headers, 'content-length': String(Buffer.byteLength(webhook.body, 'utf8')) },
        lookup: pinnedLookup(webhook.target.addresses),
        agent: false,
        signal: AbortSignal.timeout(webhook.timeoutMs),
      },
      onResponse,
    );
    outgoing.on('error', (error) => finish({ statusCode: null, error: describe(error, webhook.timeoutMs) }));
    outgoing.end(webhook.body);
  });
