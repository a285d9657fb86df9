import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ActionContext } from './actions/context';
import { ACTIONS } from './actions/registry';
import { INSPECTION_HEADER } from './constants';
import { internalError, requestTooLarge, SqsApiError, unknownOperation } from './errors';
import type { Faults } from './faults';
import { parseInput } from './params';
import type { RequestMeter } from './stats';
import type { SqsStore } from './store';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
// Generous: a 10-entry batch of 1 MiB messages in JSON, escaping included.
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface SqsServerOptions {
  readonly store: SqsStore;
  readonly faults: Faults;
  readonly meter: RequestMeter;
  /** Aborts every long poll when the endpoint closes. */
  readonly closing: AbortSignal;
  /** Resolves once every change made so far is on disk; each answer waits for it (durable mode). */
  readonly durable?: () => Promise<void>;
}

/** The body as text, or null when it is larger than any SQS request can be. */
const readBody = (req: IncomingMessage): Promise<string | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8'));
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', finish);
    // A client that hangs up mid-body gets an answer it will never read; nothing waits forever.
    req.on('close', finish);
    req.on('error', reject);
  });

/** `Credential=<access key id>/...` of the SigV4 header; signatures themselves are not checked. */
const accessKeyOf = (authorization: string | undefined): string => /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1] ?? 'ANONYMOUS';

const send = (res: ServerResponse, requestId: string, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': requestId, 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
};

/** Errors as the JSON protocol carries them, with the query-compatible code header the SDK reads. */
const sendError = (res: ServerResponse, requestId: string, error: SqsApiError): void =>
  send(res, requestId, error.status, { __type: error.type, message: error.message }, { 'x-amzn-query-error': `${error.code};${error.fault}` });

/**
 * The HTTP face of the local SQS endpoint: SQS's JSON protocol (`POST /`,
 * `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: AmazonSQS.<Action>`), one action
 * per request, errors rendered once here.
 */
export const createSqsServer = (options: SqsServerOptions): Server => {
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = /^AmazonSQS\.(\w+)$/.exec(target)?.[1] ?? '';
    const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    const inspection = req.headers[INSPECTION_HEADER] === '1';
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const body = await readBody(req);
    const ctx: ActionContext = {
      store: options.store,
      faults: options.faults,
      senderId: accessKeyOf(req.headers.authorization),
      signal: AbortSignal.any([aborted.signal, options.closing]),
      payloadBytes: 0,
    };
    try {
      if (req.method !== 'POST' || !run) {
        throw unknownOperation(target || `${req.method ?? 'GET'} ${req.url ?? '/'} (query protocol requests are not understood)`);
      }
      if (body === null) throw requestTooLarge();
      const input = parseInput(body);
      if (options.faults.takeRequest(action)) throw internalError();
      const output = await run(ctx, input);
      // Nothing is acknowledged before it would survive a crash (SendMessage, deletes, receives).
      if (options.durable) await options.durable();
      send(res, requestId, 200, output);
    } finally {
      if (!inspection) options.meter.record(action || 'Unknown', ctx.payloadBytes);
    }
  };

  return createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      if (!(error instanceof SqsApiError)) console.error('local SQS: internal error', error);
      sendError(res, requestId, error instanceof SqsApiError ? error : internalError(error));
    });
  });
};
