import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from '../../domain/webhooks/address-policy';
import { TargetRefused, type ResolvedAddress, type VettedTarget } from '../../app/ports/webhook-delivery';

// The e2e tests name the resolver's answer by this module.
export type { ResolvedAddress };

/** Resolves a host name to every address it has (the system resolver, or a test double). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** `dns.lookup` with `all: true`: what the OS would connect to, /etc/hosts included. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface TargetPolicy {
  /**
   * Local development only (`WEBHOOK_ALLOW_LOCAL_TARGETS`): loopback receivers are allowed, and
   * over plain http. Private, link-local and every other range stay refused.
   */
  readonly allowLoopback: boolean;
}

const MAX_URL_LENGTH = 2048;

/** The host of a URL as an address or name: `[::1]` -> `::1`. */
const hostOf = (url: URL): string => (url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname);

/**
 * The checks that need no DNS: an absolute https URL (http only with the local allowance),
 * no credentials, no fragment.
 */
export const checkUrlShape = (raw: string, policy: TargetPolicy): URL => {
  if (raw.length > MAX_URL_LENGTH) throw new TargetRefused(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new TargetRefused('must be an absolute URL such as https://example.com/webhooks', { cause });
  }
  const httpAllowed = policy.allowLoopback && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !httpAllowed) throw new TargetRefused('must be an https:// URL');
  if (url.username !== '' || url.password !== '') throw new TargetRefused('must not contain credentials');
  if (url.hash !== '') throw new TargetRefused('must not contain a fragment');
  if (hostOf(url) === '') throw new TargetRefused('must name a host');
  return url;
};

/**
 * Decides whether a webhook may be sent to `raw`, resolving its host once: every address the
 * name resolves to must be public (one private answer is enough to refuse, since a connection
 * could pick it). The caller connects to the returned addresses and to nothing else, so a DNS
 * answer that changes between this check and the connection (DNS rebinding) is never used.
 * Run at configuration time and again before every delivery.
 * @example
 * await vetTarget('https://169.254.169.254/latest', { allowLoopback: false }, systemResolver);
 * // throws TargetRefused('169.254.169.254 is not an allowed address'), detail '...(metadata)'
 */
export const vetTarget = async (raw: string, policy: TargetPolicy, resolve: Resolver): Promise<VettedTarget> => {
  const url = checkUrlShape(raw, policy);
  const host = hostOf(url);
  const family = isIP(host);
  let addresses: readonly ResolvedAddress[];
  if (family === 4 || family === 6) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (cause) {
      throw new TargetRefused(`${host} does not resolve`, { cause });
    }
    if (addresses.length === 0) throw new TargetRefused(`${host} does not resolve`);
  }
  for (const { address } of addresses) {
    const { kind, embedded } = classifyAddress(address);
    if (kind === 'public' || (policy.allowLoopback && kind === 'loopback')) continue;
    const shown = `${address}${embedded ? ` (${embedded})` : ''}`;
    throw new TargetRefused(address === host ? `${host} is not an allowed address` : `${host} resolves to an address that is not allowed`, {
      detail: `${address === host ? shown : `${host} resolves to ${shown}`}: not a public address (${kind})`,
    });
  }
  if (url.protocol === 'http:' && !addresses.every((a) => classifyAddress(a.address).kind === 'loopback')) {
    throw new TargetRefused('must be an https:// URL');
  }
  return { url, addresses };
};
