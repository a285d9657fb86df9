import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayEventRequestContextLambdaAuthorizer,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { JWTPayload } from 'jose';
import { API_PREFIX, routeKey, takesMachineTokens, type Route, type RouteTable } from '../contracts/routes';
import { authorizerResponse, decideToken, type AuthorizerContext, type AuthorizerDecision } from '../src/http/authorizer';
import { claimsRead } from '../src/http/principal';
import { authConfig } from '../src/platform/config';
import { LOCAL_AUDIENCE, type Audience } from './jwt';
import { localContext } from './lambda';
import { listen } from './ports';

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpApiOptions {
  readonly port: number;
  readonly host?: string;
  /**
   * Verifies the Authorization header: like the JWT authorizer (`web-client`: the web app
   * client's tokens only), or like the token authorizer's verifier (`pool`: any client of the
   * user pool). Null means 401.
   */
  readonly verify: (authorization: string | undefined, audience: Audience) => Promise<JWTPayload | null>;
  /**
   * The token authorizer's decision, on the routes that take machine tokens. By default the
   * deployed authorizer's own rules (`decideToken`) with `verify` as its verifier (the local keys
   * instead of the user pool's JWKS) and the local issuer's audience as the web app client.
   */
  readonly authorizeToken?: (authorization: string) => Promise<AuthorizerDecision>;
  readonly repoRoot: string;
  /** What to serve; the real route table unless a test mounts a fixture table. */
  readonly table: RouteTable;
  /** Local-only endpoints (not part of the API, never deployed); true when it answered. */
  readonly localRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Runs one invocation of a function group, e.g. inside the environment the stack gives it. */
  readonly invoke?: <T>(group: string, run: () => Promise<T>) => Promise<T>;
  /** Told about every request once its answer is sent (the local runner's request log). */
  readonly onAnswered?: (request: AnsweredRequest) => void;
}

/** A request the local API answered, as `onAnswered` hears of it. */
export interface AnsweredRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly status: number;
  /** From the request's arrival to the last byte of the answer. */
  readonly durationMs: number;
  /** Answered by a local-only route (the page, the clock) rather than the API. */
  readonly local: boolean;
  /** The route it matched, if any. */
  readonly route?: Route;
  /** The verified token's claims, as the handler got them. */
  readonly claims?: Readonly<Record<string, string>>;
  /** The body the handler got. */
  readonly body?: Buffer;
  /** What the handler, or API Gateway itself, answered. */
  readonly response?: APIGatewayProxyStructuredResultV2;
}

/** What `handle` learns about a request on its way, for `onAnswered`. */
type Seen = { -readonly [K in keyof Omit<AnsweredRequest, 'method' | 'path' | 'status' | 'durationMs'>]?: AnsweredRequest[K] };

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

/** API Gateway's payload quota for HTTP APIs: a larger request never reaches a handler. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** A request body over the limit; reading stopped there. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}

/**
 * Reads a request body, at most `limit` bytes: a declared `content-length` over it is refused
 * before reading anything, and a body that grows past it stops being read (nothing more is
 * buffered; the caller answers and closes the connection).
 */
export const readBody = (req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reject(new BodyTooLarge(`the body is over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge(`the body is over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** How long a refused upload's connection stays open, unread, so the client can read the answer. */
const LINGER_MS = 2_000;

/**
 * Closes a connection whose request body was not read to its end: our side first (the client
 * sees the answer, then the close, and does not reuse it), the rest a moment later, without
 * ever reading what the client still sends. Closing at once would reset the connection and could
 * lose the answer.
 */
const closeUnread = (socket: Socket): void => {
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
};

/** A path parameter as API Gateway passes it (percent-decoded), or null when it is not valid percent-encoding. */
const decodeParam = (raw: string): string | null => {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    if (error instanceof URIError) return null;
    throw error;
  }
};

/** API Gateway's own refusals, before any handler runs. */
const gatewayRefusal = (statusCode: number, message: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ message }),
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

/** `decideToken` as the deployed token authorizer runs it, over a JWT-authorizer-style `verify`. */
const localTokenAuthorizer =
  (verify: HttpApiOptions['verify']) =>
  (authorization: string): Promise<AuthorizerDecision> =>
    decideToken((token) => verify(`Bearer ${token}`, 'pool'), { webClientId: LOCAL_AUDIENCE, claims: claimsRead(authConfig()) }, authorization);

/**
 * A local stand-in for the HTTP API: it matches requests against the route table, runs the
 * check the route's authorizer would run (the JWT authorizer's, or on routes that take machine
 * tokens the token authorizer's own code), builds API Gateway v2 events and calls the same
 * handler exports Lambda calls. Gateway-level refusals use API Gateway's own bodies (`{"message": ...}`).
 */
export const startHttpApi = async (options: HttpApiOptions): Promise<RunningHttpApi> => {
  const authorizeToken = options.authorizeToken ?? localTokenAuthorizer(options.verify);
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

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, seen: Seen) => {
    if (options.localRoutes) {
      // Set before: a local route may finish its answer (a streamed file) before it returns.
      seen.local = true;
      if (await options.localRoutes(req, res, url)) return;
      seen.local = false;
    }
    const answer = (result: APIGatewayProxyStructuredResultV2): void => {
      seen.response = result;
      send(res, result);
    };
    const method = (req.method ?? 'GET').toUpperCase();
    const match = compiled
      .filter((c) => c.route.method === method)
      .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
      .find((x) => x.m !== null);
    if (!match?.m) return answer(gatewayRefusal(404, 'Not Found'));
    const { route, params } = match.c;
    seen.route = route;
    const values = params.map((_, i) => decodeParam(match.m?.[i + 1] ?? ''));
    if (values.some((v) => v === null)) return answer(gatewayRefusal(400, 'Bad Request'));

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }
    let claims: JWTPayload | null = null;
    let tokenContext: AuthorizerContext | null = null;
    if (takesMachineTokens(route)) {
      // The token authorizer: API Gateway runs it only when the identity source (the header) is
      // there, and hands the handler its context, empty for a token it could not verify.
      if (!headers.authorization) return answer(gatewayRefusal(401, 'Unauthorized'));
      tokenContext = authorizerResponse(await authorizeToken(headers.authorization)).context;
    } else if (route.auth === 'tenant' || route.auth === 'admin') {
      claims = await options.verify(headers.authorization, 'web-client');
      if (!claims) return answer(gatewayRefusal(401, 'Unauthorized', { 'www-authenticate': 'Bearer' }));
    }

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      res.once('finish', () => closeUnread(req.socket));
      return answer(gatewayRefusal(413, 'Request Entity Too Large'));
    }
    seen.body = raw;
    const isText = raw.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const jwtClaims = claims ? gatewayClaims(claims) : null;
    const authorizer: APIGatewayEventRequestContextJWTAuthorizer | APIGatewayEventRequestContextLambdaAuthorizer<AuthorizerContext> | null = jwtClaims
      ? { principalId: '', integrationLatency: 0, jwt: { claims: jwtClaims, scopes: [] } }
      : tokenContext
        ? { lambda: tokenContext }
        : null;
    const verified = jwtClaims ?? tokenContext;
    if (verified && Object.keys(verified).length > 0) seen.claims = verified;
    const requestId = randomUUID();
    const now = new Date();
    const event: APIGatewayProxyEventV2 & { requestContext: { authorizer?: NonNullable<typeof authorizer> } } = {
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(params.length
        ? { pathParameters: Object.fromEntries(params.map((p, i) => [p, values[i] ?? ''])) }
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
        ...(authorizer ? { authorizer } : {}),
      },
      isBase64Encoded: !isText,
      ...(raw.length ? { body: isText ? raw.toString('utf8') : raw.toString('base64') } : {}),
    };

    const handler = await load(route.group);
    const run = () => handler(event, lambdaContext(route.group, requestId));
    answer(await (options.invoke ? options.invoke(route.group, run) : run()));
  };

  const server: Server = createServer((req, res) => {
    const arrived = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const seen: Seen = {};
    const { onAnswered } = options;
    if (onAnswered) {
      res.once('finish', () =>
        onAnswered({
          method: (req.method ?? 'GET').toUpperCase(),
          path: url.pathname,
          status: res.statusCode,
          durationMs: performance.now() - arrived,
          local: seen.local ?? false,
          ...seen,
        }),
      );
    }
    handle(req, res, url, seen).catch((error: unknown) => {
      console.error('local http api: handler crashed', error);
      if (!res.headersSent) {
        seen.response = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
        send(res, seen.response);
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port, host);
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
};
