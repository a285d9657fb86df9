/**
 * Which IP addresses a tenant webhook may reach: only public unicast. Pure: no DNS, no sockets.
 * Everything is decided on the numeric value, so spellings (`::ffff:10.0.0.1`, `::ffff:a00:1`,
 * `0:0:0:0:0:ffff:0a00:0001`) cannot slip past a string comparison.
 */
export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'invalid';

export interface AddressClass {
  readonly kind: AddressKind;
  /** For IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4): the address it reaches. */
  readonly embedded?: string;
}

interface Rule {
  readonly base: bigint;
  readonly bits: number;
  readonly kind: AddressKind | 'embedded-v4';
  /** Where the IPv4 address sits in an IPv6 form that embeds one (bit offset from the right). */
  readonly v4Shift?: bigint;
}

const V4_BITS = 32;
const V6_BITS = 128;

/** Dotted-decimal IPv4 as the resolver and WHATWG URL print it; anything else is not an address. */
const parseV4 = (text: string): bigint | null => {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
};

/** IPv6 text (with `::`, an IPv4 tail and a zone id allowed) as a 128-bit number. */
const parseV6 = (input: string): bigint | null => {
  let text = input.replace(/%.*$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    // `::ffff:10.0.0.1` -> `::ffff:a00:1`: the IPv4 tail becomes the last two groups.
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string | undefined): string[] | null => {
    if (part === undefined || part === '') return [];
    const groups = part.split(':');
    return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? groups : null;
  };
  const left = groupsOf(halves[0]);
  const right = groupsOf(halves[1]);
  if (left === null || right === null) return null;
  const present = left.length + right.length;
  if (halves.length === 1 ? present !== 8 : present > 7) return null;
  const groups = [...left, ...Array.from({ length: 8 - present }, () => '0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
};

const v4Text = (value: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');

const cidr = (text: string, kind: Rule['kind'], v4Shift?: bigint): Rule => {
  const [address = '', bits = ''] = text.split('/');
  const base = address.includes(':') ? parseV6(address) : parseV4(address);
  if (base === null) throw new Error(`bad CIDR ${text}`);
  return { base, bits: Number(bits), kind, ...(v4Shift === undefined ? {} : { v4Shift }) };
};

/** First match wins: the narrower ranges (metadata, broadcast) come before the ranges holding them. */
const V4_RULES: readonly Rule[] = [
  cidr('0.0.0.0/8', 'unspecified'),
  cidr('10.0.0.0/8', 'private'),
  cidr('100.64.0.0/10', 'cgnat'),
  cidr('127.0.0.0/8', 'loopback'),
  cidr('169.254.169.254/32', 'metadata'),
  cidr('169.254.0.0/16', 'link-local'),
  cidr('172.16.0.0/12', 'private'),
  cidr('192.0.0.0/24', 'reserved'),
  cidr('192.0.2.0/24', 'documentation'),
  cidr('192.88.99.0/24', 'reserved'),
  cidr('192.168.0.0/16', 'private'),
  cidr('198.18.0.0/15', 'benchmarking'),
  cidr('198.51.100.0/24', 'documentation'),
  cidr('203.0.113.0/24', 'documentation'),
  cidr('224.0.0.0/4', 'multicast'),
  cidr('255.255.255.255/32', 'broadcast'),
  cidr('240.0.0.0/4', 'reserved'),
];

const V6_RULES: readonly Rule[] = [
  cidr('::/128', 'unspecified'),
  cidr('::1/128', 'loopback'),
  cidr('::ffff:0:0/96', 'embedded-v4', 0n), // IPv4-mapped: the socket reaches the IPv4 address
  cidr('::ffff:0:0:0/96', 'embedded-v4', 0n), // IPv4-translated (SIIT)
  cidr('::/96', 'reserved'), // IPv4-compatible, deprecated
  cidr('64:ff9b::/96', 'embedded-v4', 0n), // NAT64 well-known prefix
  cidr('64:ff9b:1::/48', 'private'), // NAT64 local use
  cidr('100::/64', 'reserved'), // discard-only
  cidr('2001:db8::/32', 'documentation'),
  cidr('2001::/23', 'reserved'), // IETF protocol assignments, Teredo included
  cidr('2002::/16', 'embedded-v4', 80n), // 6to4: the IPv4 address follows the prefix
  cidr('3fff::/20', 'documentation'),
  cidr('fd00:ec2::254/128', 'metadata'), // the EC2 instance metadata service over IPv6
  cidr('fc00::/7', 'unique-local'),
  cidr('fe80::/10', 'link-local'),
  cidr('fec0::/10', 'reserved'), // site-local, deprecated
  cidr('ff00::/8', 'multicast'),
];

/** Only 2000::/3 is allocated as global unicast; everything outside it is not a public host. */
const V6_GLOBAL_UNICAST = cidr('2000::/3', 'public');

const inRange = (value: bigint, rule: Rule, width: number): boolean => {
  const shift = BigInt(width - rule.bits);
  return value >> shift === rule.base >> shift;
};

const classifyV4 = (value: bigint): AddressClass => {
  const rule = V4_RULES.find((r) => inRange(value, r, V4_BITS));
  return { kind: rule && rule.kind !== 'embedded-v4' ? rule.kind : 'public' };
};

const classifyV6 = (value: bigint): AddressClass => {
  const rule = V6_RULES.find((r) => inRange(value, r, V6_BITS));
  if (rule?.kind === 'embedded-v4') {
    const v4 = (value >> (rule.v4Shift ?? 0n)) & 0xffffffffn;
    return { ...classifyV4(v4), embedded: v4Text(v4) };
  }
  if (rule) return { kind: rule.kind };
  return { kind: inRange(value, V6_GLOBAL_UNICAST, V6_BITS) ? 'public' : 'reserved' };
};

/**
 * Classifies an IP address literal (IPv4 dotted decimal, or IPv6 with or without brackets).
 * @example
 * classifyAddress('169.254.169.254'); // { kind: 'metadata' }
 * classifyAddress('::ffff:10.0.0.1'); // { kind: 'private', embedded: '10.0.0.1' }
 */
export const classifyAddress = (address: string): AddressClass => {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (text.includes(':')) {
    const v6 = parseV6(text);
    return v6 === null ? { kind: 'invalid' } : classifyV6(v6);
  }
  const v4 = parseV4(text);
  return v4 === null ? { kind: 'invalid' } : classifyV4(v4);
};

/** Public unicast, or loopback when the local-development allowance is on; nothing else. */
export const isAllowedAddress = (address: string, options: { readonly allowLoopback: boolean }): boolean => {
  const { kind } = classifyAddress(address);
  return kind === 'public' || (options.allowLoopback && kind === 'loopback');
};
