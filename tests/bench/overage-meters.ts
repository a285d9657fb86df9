/**
 * What `npm run bench:overage` counts besides DynamoDB (that is `support/dynamodb-meter.ts`):
 * HTTP requests that reach the local Stripe endpoint, at a counting proxy on loopback in front of
 * it, while switched on.
 */
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeCounts {
  readonly total: number;
  /** `POST /v1/invoiceitems` and the like, ids replaced by `{id}`. */
  readonly byRoute: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface StripeCounter {
  /** Point `STRIPE_API_BASE` here. */
  readonly url: string;
  start(): void;
  /** Requests counted so far in this run. */
  peek(): number;
  stop(): StripeCounts;
  close(): Promise<void>;
}

const routeOf = (method: string, url: string): string => {
  const path = url.split('?')[0] ?? url;
  return `${method} ${path
    .split('/')
    .map((segment) => (/^[a-z]+_[A-Za-z0-9]+$/.test(segment) ? '{id}' : segment))
    .join('/')}`;
};

/**
 * A pass-through proxy on loopback in front of the local Stripe endpoint that counts the API
 * requests (`/v1/...`) reaching it while switched on: the Stripe calls as Stripe would see and
 * rate-limit them, SDK retries included.
 */
export const startStripeCounter = async (target: string): Promise<StripeCounter> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counting = false;
  let routes = new Map<string, number>();
  let statuses = new Map<string, number>();
  let total = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const counted = counting && url.startsWith('/v1/');
    if (counted) {
      total += 1;
      bump(routes, routeOf(req.method ?? 'GET', url));
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: { ...req.headers, host: upstream.host }, agent },
      (answer) => {
        if (counted) bump(statuses, String(answer.statusCode ?? 0));
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (counted) bump(statuses, 'proxy-error');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench Stripe proxy: ${error.message}`);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    start: () => {
      routes = new Map();
      statuses = new Map();
      total = 0;
      counting = true;
    },
    peek: () => total,
    stop: () => {
      counting = false;
      return {
        total: [...routes.values()].reduce((a, b) => a + b, 0),
        byRoute: Object.fromEntries(routes),
        byStatus: Object.fromEntries(statuses),
      };
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
};
