/**
 * `npm start` as a user sees it (issue 21): `bin/start.ts` runs as a child process on a temp
 * data dir and free ports, and its terminal output is read. By default one line per request,
 * Stripe webhook and queue batch, the handlers' warnings and errors in full and none of their
 * info lines; with `--json-logs` the handlers' structured lines as before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../local/ports';
import { createLocalSqsClient } from '../../../local/sqs';
import { REPO_ROOT } from '../../../local/stack';

interface Started {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr as they came. */
  output(): string;
  stderr(): string;
  /** A value of the printed "how to call it" block. */
  printed(pattern: RegExp): string;
  stop(): Promise<number | null>;
}

const dataDirs: string[] = [];
const children: ChildProcess[] = [];

/** `npm start [args]` without npm (the crash test does the same): one node process in its own group. */
const start = async (args: string[] = []): Promise<Started> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'securenet-start-'));
  dataDirs.push(dataDir);
  const keep = ['PATH', 'HOME', 'TMPDIR', 'JAVA_HOME', 'LANG'];
  const env = {
    ...Object.fromEntries(keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]]))),
    PORT: String(await freePort()),
    DYNAMODB_LOCAL_PORT: String(await freePort()),
    STRIPE_LOCAL_PORT: String(await freePort()),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts', '--data-dir', dataDir, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await expect.poll(() => out, { timeout: 90_000, interval: 100 }).toContain('Ctrl-C stops everything.');
  return {
    child,
    output: () => out,
    stderr: () => err,
    printed: (pattern) => {
      const value = pattern.exec(out)?.[1];
      if (!value) throw new Error(`${pattern} is not in what npm start printed:\n${out}`);
      return value;
    },
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
};

afterAll(() => {
  for (const child of children) {
    try {
      // The whole group, should a test have failed before stopping it.
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
    }
  }
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Asks the local Stripe endpoint for an invoice of a customer no tenant owns: its webhook gets a warning. */
const invoiceForUnknownCustomer = async (stripeUrl: string): Promise<void> => {
  const url = new URL(stripeUrl);
  const stripe = new Stripe('sk_test_start', { host: url.hostname, port: Number(url.port), protocol: 'http' });
  const customer = await stripe.customers.create({ name: 'Nobody' });
  await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd' });
  await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
};

describe('npm start', () => {
  it('prints one line per request, webhook and queue batch, warnings and errors in full, no info lines', { timeout: 180_000 }, async () => {
    // Prepare
    const stack = await start();
    const api = stack.printed(/API: +(\S+)/);
    const token = stack.printed(/TOKEN=(\S+)/);
    const stripeUrl = stack.printed(/Stripe \(local\): +(\S+)/);
    const usageQueue = stack.printed(/usage queue (\S+)\)/);

    // Act
    await fetch(`${api}/usage/track`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resource_type: 'api_calls', usage_amount: 1 }),
    });
    await invoiceForUnknownCustomer(stripeUrl);
    const sqs = createLocalSqsClient(new URL(usageQueue).origin);
    await sqs.send(new SendMessageCommand({ QueueUrl: usageQueue, MessageBody: 'not json' }));
    sqs.destroy();

    // Assess
    expect(stack.output()).toMatch(/SecureNet Billing is running locally\. Started in \d+\.\d s\./);
    expect(stack.output()).toContain(`curl ${api}/plans`);
    await expect.poll(stack.output, { timeout: 30_000 }).toMatch(/^POST \/api\/billing\/usage\/track \d{3} \d+ ms org-demo/m);
    await expect.poll(stack.output, { timeout: 30_000 }).toMatch(/^stripe webhook invoice\.created evt_\w+ 200 \d+ ms ignored$/m);
    await expect.poll(stack.output, { timeout: 30_000 }).toMatch(/^queue usage \d+ messages? 1 failed \d+ ms$/m);
    // The handlers' warnings and errors, whole: message, context and the invocation's keys.
    const warning = stack.stderr().split('\n').find((line) => line.includes('stripe event for an unknown customer'));
    expect(JSON.parse(warning ?? 'null')).toMatchObject({ level: 'WARN', type: 'invoice.created', reason: expect.stringMatching(/^no tenant owns customer cus_/) });
    await expect.poll(stack.stderr, { timeout: 30_000 }).toContain('"level":"ERROR","message":"poison usage message: not JSON"');
    expect(stack.output()).not.toContain('"level":"INFO"');
    // No EMF metric lines, and no warning from Node or a library.
    expect(stack.output()).not.toContain('"_aws"');
    expect(stack.stderr()).not.toMatch(/Warning/);
    expect(await stack.stop()).toBe(0);
  });

  it('gives the handlers\' structured lines with --json-logs', { timeout: 180_000 }, async () => {
    // Prepare
    const stack = await start(['--json-logs']);

    // Act
    await invoiceForUnknownCustomer(stack.printed(/Stripe \(local\): +(\S+)/));

    // Assess
    await expect.poll(stack.output, { timeout: 30_000 }).toMatch(/^\{"level":"INFO","message":"stripe event",.*"type":"invoice\.created"/m);
    expect(stack.output()).toContain('"level":"WARN","message":"stripe event for an unknown customer"');
    expect(stack.output()).not.toMatch(/^stripe webhook /m);
    expect(await stack.stop()).toBe(0);
  });
});
