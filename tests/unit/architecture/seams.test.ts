import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ICruiseResult } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = fileURLToPath(new URL('../../fixtures/seams', import.meta.url));

/**
 * `npm run lint:deps` checks the real tree with .dependency-cruiser.cjs. These tests run the
 * same command and rules over a small tree that breaks each seam once, so a rule that stops
 * catching what it names fails here rather than passing silently.
 */
describe('.dependency-cruiser.cjs', () => {
  let result: ICruiseResult;
  beforeAll(async () => {
    const args = ['src', 'functions', 'contracts', 'lib', 'local', '--config', `${repo}/.dependency-cruiser.cjs`, '--ts-config', `${repo}/tsconfig.json`, '--output-type', 'json'];
    // depcruise exits non-zero when it finds violations, which is the point here.
    const out = await promisify(execFile)(`${repo}/node_modules/.bin/depcruise`, args, { cwd: fixture, maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    result = JSON.parse(out.stdout) as ICruiseResult;
  }, 60_000);

  const violations = (rule: string) =>
    result.summary.violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  it.each([
    ['domain-is-pure', 'src/domain/prices.ts -> src/adapters/store.ts'],
    ['app-depends-on-ports', 'src/app/use-case.ts -> src/adapters/store.ts'],
    ['production-never-imports-tools', 'functions/f/handler.ts -> local/emulator.ts'],
    ['contracts-import-nothing', 'contracts/routes.ts -> src/domain/prices.ts'],
    ['stack-reads-contracts', 'lib/stack.ts -> src/app/use-case.ts'],
    ['platform-stands-alone', 'src/platform/config.ts -> src/app/use-case.ts'],
    ['kernels-below-composition', 'src/http/kernel.ts -> src/composition/root.ts'],
    ['adapters-below-kernels', 'src/adapters/wired.ts -> functions/f/handler.ts'],
    ['handlers-are-entries', 'src/adapters/wired.ts -> functions/f/handler.ts'],
  ])('%s catches %s', (rule, edge) => {
    expect(violations(rule)).toContain(edge);
  });

  it('no-cycles catches two modules importing each other', () => {
    expect(violations('no-cycles')).toEqual(expect.arrayContaining(['src/app/a.ts -> src/app/b.ts']));
  });

  it('flags nothing the fixture does not break on purpose', () => {
    const expected = new Set([
      'domain-is-pure',
      'app-depends-on-ports',
      'production-never-imports-tools',
      'contracts-import-nothing',
      'stack-reads-contracts',
      'platform-stands-alone',
      'kernels-below-composition',
      'adapters-below-kernels',
      'handlers-are-entries',
      'no-cycles',
    ]);
    expect(result.summary.violations.map((v) => v.rule.name).filter((name) => !expected.has(name))).toEqual([]);
  });
});
