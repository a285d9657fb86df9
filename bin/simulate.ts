/**
 * `npm run simulate -- --runs 500 [--seed N] [--shrink-seconds 600]`: the randomized lifecycle
 * simulation (tests/e2e/lifecycle-simulation.test.ts) with more timelines. It runs through
 * vitest so the suite's global setup starts DynamoDB Local; on a failure it prints the shrunk
 * timeline as a regression test to paste into tests/e2e/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Report {
  seed: number;
  runs: number;
  executed: number;
  elapsedMs: number;
  failed: boolean;
  problems: { kind: string; tenant: string | null; message: string }[];
  regression: string | null;
}

const usage = 'usage: npm run simulate -- [--runs N] [--seed N] [--shrink-seconds S]';

const parse = (argv: string[]) => {
  const options = { runs: 100, seed: Math.floor(Math.random() * 2 ** 31), shrinkSeconds: 600 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!['--runs', '--seed', '--shrink-seconds'].includes(flag ?? '') || !Number.isSafeInteger(value) || value < 0) {
      console.error(usage);
      process.exit(2);
    }
    if (flag === '--runs') options.runs = Math.max(1, value);
    if (flag === '--seed') options.seed = value;
    if (flag === '--shrink-seconds') options.shrinkSeconds = value;
    i += 1;
  }
  return options;
};

const main = async () => {
  const options = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'securenet-simulate-'));
  const reportFile = join(dir, 'report.json');
  console.log(`lifecycle simulation: ${options.runs} timelines, seed ${options.seed}, shrinking up to ${options.shrinkSeconds} s`);
  const began = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['vitest', 'run', 'tests/e2e/lifecycle-simulation.test.ts'], {
      stdio: 'inherit',
      env: {
        ...process.env,
        SIM_RUNS: String(options.runs),
        SIM_SEED: String(options.seed),
        SIM_SHRINK_MS: String(options.shrinkSeconds * 1000),
        SIM_REPORT: reportFile,
      },
    });
    child.on('exit', (status) => resolve(status ?? 1));
  });
  const seconds = ((Date.now() - began) / 1000).toFixed(0);
  if (!existsSync(reportFile)) {
    console.error(`\nthe simulation ended (exit ${code}) after ${seconds} s without a report`);
    process.exit(code === 0 ? 1 : code);
  }
  const reports = JSON.parse(readFileSync(reportFile, 'utf8')) as Report[];
  rmSync(dir, { recursive: true, force: true });
  for (const r of reports) {
    if (!r.failed) {
      console.log(`\nseed ${r.seed}: ${r.executed} timelines, all billed as SPEC says (${(r.elapsedMs / 1000).toFixed(0)} s)`);
      continue;
    }
    console.log(`\nseed ${r.seed}: FAILED after ${r.executed} timelines (incl. shrinking), ${(r.elapsedMs / 1000).toFixed(0)} s`);
    for (const p of r.problems) console.log(`  - [${p.kind}]${p.tenant ? ` ${p.tenant}:` : ''} ${p.message}`);
    if (r.regression) console.log(`\n----- regression test: save as tests/e2e/<name>.test.ts -----\n${r.regression}----- end -----`);
  }
  console.log(`\n${seconds} s; reproduce with: npm run simulate -- --runs ${options.runs} --seed ${options.seed}`);
  process.exit(code);
};

void main();
