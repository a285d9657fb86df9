/**
 * What every benchmark ends with: a summary table of its goals and, as the last line on stdout,
 * `RESULT {json}` (one line) with its figures and a `goals` object, so a script can read a run;
 * and the size flags (`--tenants N`, `--events N`) they take.
 */
import { table } from './report';

/** One goal of a benchmark as measured: `goal` says the comparison (`"<= 1.2"`, `">= 50"`). */
export interface Goal {
  /** The measured figure; null when it is not a finite number (e.g. a ratio over zero). */
  readonly value: number | null;
  readonly goal: string;
  readonly met: boolean;
  /** How the value was obtained when not measured as the goal states it (e.g. projected from another size). */
  readonly note?: string;
}

export type Goals = Readonly<Record<string, Goal>>;

/** Rounds to `digits` decimals; non-finite numbers become null (JSON has no Infinity or NaN). */
export const figure = (n: number, digits = 2): number | null => {
  if (!Number.isFinite(n)) return null;
  const scale = 10 ** digits;
  return Math.round(n * scale) / scale;
};

const make = (value: number, op: string, limit: number, met: boolean, note?: string): Goal => ({
  value: figure(value, 3),
  goal: `${op} ${limit}`,
  met: Number.isFinite(value) && met,
  ...(note ? { note } : {}),
});

/**
 * Goal constructors: the value must be at most, below, or at least the limit.
 * @example atMost(1.87, 1.2) // { value: 1.87, goal: '<= 1.2', met: false }
 */
export const atMost = (value: number, limit: number, note?: string): Goal => make(value, '<=', limit, value <= limit, note);
export const below = (value: number, limit: number, note?: string): Goal => make(value, '<', limit, value < limit, note);
export const atLeast = (value: number, limit: number, note?: string): Goal => make(value, '>=', limit, value >= limit, note);

/**
 * The machine-readable last line of a benchmark: `RESULT ` and single-line JSON of the figures
 * with the goals under `goals` (a figure named `goals` is overwritten).
 * @example resultLine({ tenants: 500 }, { wall: below(12, 60) }) // 'RESULT {"tenants":500,"goals":{"wall":{...}}}'
 */
export const resultLine = (figures: Readonly<Record<string, unknown>>, goals: Goals): string =>
  `RESULT ${JSON.stringify({ ...figures, goals }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`;

/** The goals as a readable table: name, value, target, verdict, and the note (left-aligned) after them. */
export const goalsTable = (goals: Goals): string => {
  const entries = Object.entries(goals);
  const lines = table(
    ['goal', 'value', 'target', 'met'],
    entries.map(([name, g]) => [name, g.value === null ? 'n/a' : g.value.toLocaleString('en-US', { maximumFractionDigits: 3 }), g.goal, g.met ? 'met' : 'NOT met']),
  ).split('\n');
  // The header and its rule come first, then one line per goal in order.
  return lines.map((line, i) => (i < 2 ? line : `${line}  ${entries[i - 2]?.[1].note ?? ''}`.trimEnd())).join('\n');
};

/** A command line the benchmark cannot run with; the message says what it takes. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface SizeFlag {
  /** The flag without dashes: `tenants` for `--tenants N`. */
  readonly name: string;
  readonly defaultValue: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Reads the one size flag a benchmark takes from its arguments (`--name N` or `--name=N`; digits,
 * `_` or `,` as thousands separators allowed); the default when absent. Anything else on the
 * command line, a missing or non-integer value, or one outside [min, max] is a `UsageError`.
 * @example parseSizeFlag(['--tenants', '500'], { name: 'tenants', defaultValue: 10_000, min: 100, max: 100_000 }) // 500
 */
export const parseSizeFlag = (argv: readonly string[], flag: SizeFlag): number => {
  const usage = `usage: --${flag.name} N (an integer from ${flag.min.toLocaleString('en-US')} to ${flag.max.toLocaleString('en-US')}; default ${flag.defaultValue.toLocaleString('en-US')})`;
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    let value: string | undefined;
    if (arg === `--${flag.name}`) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag.name} needs a value; ${usage}`);
      i += 1;
    } else if (arg.startsWith(`--${flag.name}=`)) {
      value = arg.slice(flag.name.length + 3);
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}; ${usage}`);
    }
    if (raw !== undefined) throw new UsageError(`--${flag.name} given twice; ${usage}`);
    raw = value;
  }
  if (raw === undefined) return flag.defaultValue;
  const digits = raw.trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(digits)) throw new UsageError(`--${flag.name} ${JSON.stringify(raw)} is not a whole number; ${usage}`);
  const n = Number(digits);
  if (!Number.isSafeInteger(n) || n < flag.min || n > flag.max) throw new UsageError(`--${flag.name} ${raw} is out of range; ${usage}`);
  return n;
};
