/** Prints a failing timeline as a ready-to-paste vitest regression test (for `tests/e2e/`). */
import type { Step, Timeline } from '../model/timeline';
import type { Problem } from './compare';

/** The same timeline with short tenant ids (`t1`, `t2`...): a regression runs on a fresh stack. */
export const renameTenants = (timeline: Timeline): Timeline => {
  const names = new Map(timeline.tenants.map((t, i) => [t.id, `t${i + 1}`]));
  const rename = (id: string) => names.get(id) ?? id;
  return {
    start: timeline.start,
    tenants: timeline.tenants.map((t) => ({ ...t, id: rename(t.id) })),
    steps: timeline.steps.map((s): Step => ('tenant' in s ? { ...s, tenant: rename(s.tenant) } : s)),
  };
};

/** Only the tenants that have a step (shrinking can leave one idle). */
export const dropIdleTenants = (timeline: Timeline): Timeline => {
  const used = new Set(timeline.steps.flatMap((s) => ('tenant' in s ? [s.tenant] : [])));
  return { ...timeline, tenants: timeline.tenants.filter((t) => used.has(t.id)) };
};

export const timelineLiteral = (timeline: Timeline, indent = '  '): string => {
  const steps = timeline.steps.map((s) => `${indent}${indent}${JSON.stringify(s)},`).join('\n');
  const tenants = timeline.tenants.map((t) => JSON.stringify(t)).join(', ');
  return `{\n${indent}start: ${JSON.stringify(timeline.start)},\n${indent}tenants: [${tenants}],\n${indent}steps: [\n${steps}\n${indent}],\n}`;
};

export const formatRegression = (timeline: Timeline, problems: readonly Problem[], meta: { seed?: number; path?: string; title?: string } = {}): string => {
  const tl = renameTenants(timeline);
  const names = new Map(timeline.tenants.map((t, i) => [t.id, `t${i + 1}`]));
  const rename = (text: string) => [...names].reduce((out, [from, to]) => out.split(from).join(to), text);
  const kinds = [...new Set(problems.map((p) => p.kind))].join(', ');
  const found = meta.seed === undefined ? '' : ` (seed ${meta.seed}${meta.path ? `, path ${meta.path}` : ''})`;
  const comment = problems
    .slice(0, 30)
    .map((p) => `//   [${p.kind}]${p.tenant ? ` ${names.get(p.tenant) ?? p.tenant}:` : ''} ${rename(p.message).replace(/\n/g, ' ')}`)
    .join('\n');
  const more = problems.length > 30 ? `\n//   ... and ${problems.length - 30} more` : '';
  const title = meta.title ?? `lifecycle simulation regression: ${kinds}`;
  return `import { expect, it } from 'vitest';
import { replayTimeline } from './replay';

// Found by the lifecycle simulation${found}, shrunk. What differed from the reference model:
${comment}${more}
it(${JSON.stringify(title)}, async () => {
  const problems = await replayTimeline(${timelineLiteral(tl, '    ').replace(/\n}$/, '\n  }')});
  expect(problems).toEqual([]);
}, 600_000);
`;
};
