/**
 * Module init time of a bundle, for `npm run bench:cold`: a fresh Node process per run that
 * times nothing but `await import(bundle)`, the part of a Lambda cold start our code controls,
 * after loading what the Lambda runtime has loaded before it imports a handler (`node:http`).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * What a function's environment holds in AWS, with harmless local values. Config is validated
 * lazily (src/platform/config.ts), so init reads little of it; set anyway so that nothing
 * the modules do at import time could reach for a real endpoint or credentials.
 */
export const INIT_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  POWERTOOLS_SERVICE_NAME: 'securenet-billing',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  TABLE_NAME: 'securenet-billing-bench',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  SQS_ENDPOINT: 'http://127.0.0.1:9',
  USAGE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/usage',
  OVERAGE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/overage',
  WEBHOOKS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/webhooks',
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  STRIPE_API_BASE: 'http://127.0.0.1:9',
  WEBHOOK_SECRETS_KEY: 'bench-only-key-material-0123456789abcdef',
};

/** One import, as the runner reports it. */
export interface InitSample {
  readonly importMs: number;
  /** Resident set size right after the import, MiB. */
  readonly rssMiB: number;
}

const RUNNER = `// Written by tests/bench/cold-init.ts: times one dynamic import of the bundle given as argv[2].
// As in Lambda: the Node.js runtime interface client has loaded node:http (its Runtime API
// client, aws-lambda-nodejs-runtime-interface-client src/client/rapid-client.ts) before it
// imports the handler, so the handler's own import does not pay for it.
await import('node:http');
const started = performance.now();
const mod = await import(process.argv[2]);
const importMs = performance.now() - started;
if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler function');
process.stdout.write(JSON.stringify({ importMs, rssMiB: process.memoryUsage().rss / 1048576 }));
`;

/** Writes the runner script into `dir` and returns its path. */
export const writeRunner = (dir: string): string => {
  const file = join(dir, 'runner.mjs');
  writeFileSync(file, RUNNER);
  return file;
};

/**
 * Imports `bundle` once in a fresh `node` (this one's binary), with `nodeOptions` as Lambda's
 * NODE_OPTIONS would give them, in a clean environment: no inherited NODE_OPTIONS or loaders.
 */
export const measureImport = (runner: string, bundle: string, functionName: string, nodeOptions: readonly string[], timeoutMs = 20_000): Promise<InitSample> =>
  new Promise((resolveSample, reject) => {
    const env: Record<string, string> = { ...INIT_ENV, AWS_LAMBDA_FUNCTION_NAME: functionName };
    if (process.env.PATH) env.PATH = process.env.PATH;
    execFile(
      process.execPath,
      [...nodeOptions, runner, pathToFileURL(bundle).href],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`import of ${bundle} failed: ${error.message}${stderr ? `\n${stderr.slice(0, 2000)}` : ''}`));
          return;
        }
        try {
          const sample = JSON.parse(stdout) as Partial<InitSample>;
          if (typeof sample.importMs !== 'number' || typeof sample.rssMiB !== 'number') throw new Error(`unexpected runner output: ${stdout.slice(0, 200)}`);
          resolveSample({ importMs: sample.importMs, rssMiB: sample.rssMiB });
        } catch (parseError) {
          reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
        }
      },
    );
  });

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export const minimum = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : Math.min(...values));
