import { invalidRequest } from '../errors';

/** A decoded request parameter: Stripe's bracket syntax nests strings into lists and maps. */
export type ParamValue = string | ParamValue[] | ParamMap;
export interface ParamMap {
  [key: string]: ParamValue;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Malformed percent-encoding is the client's error, reported like Stripe reports bad input.
    throw invalidRequest(`Invalid URL encoding: ${text}`, { code: 'parameter_invalid_string' });
  }
};

/** `items[0][price]` -> `['items', '0', 'price']`; `expand[]` -> `['expand', '']`. */
const splitKey = (key: string): string[] => {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m?.[1]) throw invalidRequest(`Invalid parameter name: ${key}`);
  const segments = [m[1]];
  for (const part of (m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)) segments.push(part[1] ?? '');
  return segments;
};

type Node = { kind: 'leaf'; value: string } | { kind: 'map'; entries: Map<string, Node>; pushed: number };

const newMap = (): Node => ({ kind: 'map', entries: new Map(), pushed: 0 });

const insert = (root: Node, segments: string[], value: string, key: string): void => {
  let node = root;
  segments.forEach((raw, i) => {
    if (node.kind !== 'map') throw invalidRequest(`Invalid parameter: ${key} mixes a value and nested values`);
    if (FORBIDDEN.has(raw)) throw invalidRequest(`Invalid parameter name: ${key}`);
    // `a[]=x&a[]=y` appends; numeric keys keep their index (the SDK sends `a[0]`, `a[1]`).
    const segment = raw === '' ? `\u0000${node.pushed++}` : raw;
    const last = i === segments.length - 1;
    const existing = node.entries.get(segment);
    if (last) {
      if (existing?.kind === 'map') throw invalidRequest(`Invalid parameter: ${key} mixes a value and nested values`);
      node.entries.set(segment, { kind: 'leaf', value });
      return;
    }
    if (existing?.kind === 'leaf') throw invalidRequest(`Invalid parameter: ${key} mixes a value and nested values`);
    const next = existing ?? newMap();
    node.entries.set(segment, next);
    node = next;
  });
};

const isIndex = (key: string): boolean => /^\d+$/.test(key) || key.startsWith('\u0000');
const indexOf = (key: string): number => Number(key.startsWith('\u0000') ? key.slice(1) : key);

const toValue = (node: Node): ParamValue => {
  if (node.kind === 'leaf') return node.value;
  const keys = [...node.entries.keys()];
  if (keys.length > 0 && keys.every(isIndex)) {
    return keys
      .sort((a, b) => indexOf(a) - indexOf(b))
      .map((k) => {
        const child = node.entries.get(k);
        return child ? toValue(child) : '';
      });
  }
  const out: ParamMap = {};
  for (const [k, child] of node.entries) out[k] = toValue(child);
  return out;
};

/**
 * Parses an `application/x-www-form-urlencoded` body or a query string with Stripe's bracket
 * syntax into nested params.
 *
 * @example
 * parseForm('items[0][price]=price_1&expand[]=latest_invoice')
 * // { items: [{ price: 'price_1' }], expand: ['latest_invoice'] }
 */
export const parseForm = (text: string): ParamMap => {
  const root = newMap();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    insert(root, splitKey(key), value, key);
  }
  const value = toValue(root);
  return typeof value === 'object' && !Array.isArray(value) ? value : {};
};
