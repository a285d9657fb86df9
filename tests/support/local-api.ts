import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { API_PREFIX, type RouteTable } from '../../lib/routes';
import { issueToken, type TokenRequest } from '../../lib/local/jwt';
import { startLocalStack, type LocalStack } from '../../lib/local/stack';

export interface TestApi {
  readonly stack: LocalStack;
  /** Calls `${API_PREFIX}${path}` on the local HTTP API. */
  call(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  token(request: TokenRequest): Promise<string>;
}

/** The local stack on a free port, over the run's DynamoDB Local, with its own table and keys. */
export const startTestApi = async (routeTable?: RouteTable): Promise<TestApi> => {
  const stack = await startLocalStack({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'securenet-')),
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `e2e-${randomUUID()}`,
    ...(routeTable ? { routeTable } : {}),
  });
  return {
    stack,
    token: (request) => issueToken(stack.keys, request),
    call: (path, init = {}) => {
      const { token, json, headers, ...rest } = init;
      return fetch(`${stack.apiUrl}${API_PREFIX}${path}`, {
        ...rest,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
  };
};
