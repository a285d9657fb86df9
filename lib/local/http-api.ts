import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { JWTPayload } from 'jose';
import { API_PREFIX, routeKey, type Route, type RouteTable } from '../routes';
import { localContext } from './lambda';
import { listen } from './ports';

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpApiOptions {
  readonly port: number;
  readonly host?: string;
  /** Verifies the Authorization header like the JWT authorizer; null means 401. */
  readonly verify: (authorization: string | undefined) => Promise<JWTPayload | null>;
  readonly repoRoot: string;
  /** What to serve; the real route table unless a test mounts a fixture table. */
  readonly table: RouteTable;
  /** Local-only endpoints (not part of the API, never deployed); true when it answered. */
  readonly localRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

export interface RunningHttpApi {
  readonly url: string;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly params: string[];
  readonly literalLength: number;
}

const compile = (route: Route): CompiledRoute => {
  const params: string[] = [];
  const full = `${API_PREFIX}${route.path}`;
  const source = full
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params, literalLength: full.replace(/\{\w+\}/g, '').length };
};


const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|xml|x-www-form-urlencoded|javascript))/i;

/** Claims as API Gateway hands them to Lambda: strings, lists written as `[a b]`. */
const gatewayClaims = (payload: JWTPayload): Record<string, string> =>
  Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );

export const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const lambdaContext = (group: string, requestId: string): Context => ({
  ...localContext(`local-${group}`, 29_000),
  awsRequestId: requestId,
});

const send = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void => {
  const headers = { ...(result.headers ?? {}) } as Record<string, string | number | boolean>;
  if (result.cookies?.length) headers['set-cookie'] = result.cookies.join(', ');
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode ?? 200, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])));
  res.end(body);
};

/**
 * A local stand-in for the HTTP API: it matches requests against the route table, runs the JWT
 * check the authorizer would run, builds API Gateway v2 events and calls the same handler
 * exports Lambda calls. Gateway-level refusals use API Gateway's own bodies (`{"message": ...}`).
 */
export const startHttpApi = async (options: HttpApiOptions): Promise<RunningHttpApi> => {
  // API Gateway picks the most specific match: more literal characters win over parameters.
  const compiled = options.table.routes.map(compile).sort((a, b) => b.literalLength - a.literalLength);
  const handlers = new Map<string, Promise<Handler>>();
  const load = (group: string): Promise<Handler> => {
    let handler = handlers.get(group);
    if (!handler) {
      const fn = options.table.functionGroups[group];
      if (!fn) throw new Error(`route table names function group ${group}, which it does not define`);
      const entry = pathToFileURL(resolve(options.repoRoot, fn.entry)).href;
      handler = import(entry).then((m: { handler: Handler }) => m.handler);
      handlers.set(group, handler);
    }
    return handler;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.localRoutes && (await options.localRoutes(req, res, url))) return;
    const method = (req.method ?? 'GET').toUpperCase();
    const match = compiled
      .filter((c) => c.route.method === method)
      .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
      .find((x) => x.m !== null);
    if (!match?.m) return send(res, { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' });
    const { route, params } = match.c;

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }
    let claims: JWTPayload | null = null;
    if (route.auth === 'tenant' || route.auth === 'admin') {
      claims = await options.verify(headers.authorization);
      if (!claims) {
        return send(res, {
          statusCode: 401,
          headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
          body: '{"message":"Unauthorized"}',
        });
      }
    }

    const raw = await readBody(req);
    const isText = raw.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const requestId = randomUUID();
    const now = new Date();
    const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(params.length
        ? { pathParameters: Object.fromEntries(params.map((p, i) => [p, decodeURIComponent(match.m?.[i + 1] ?? '')])) }
        : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: routeKey(route),
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
        authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims ? gatewayClaims(claims) : {}, scopes: [] } },
      },
      isBase64Encoded: !isText,
      ...(raw.length ? { body: isText ? raw.toString('utf8') : raw.toString('base64') } : {}),
    };
    if (!claims) delete (event.requestContext as Partial<typeof event.requestContext>).authorizer;

    const handler = await load(route.group);
    send(res, await handler(event, lambdaContext(route.group, requestId)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('local http api: handler crashed', error);
      if (!res.headersSent) send(res, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' });
    });
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port, host);
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
};
