import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { API_PREFIX } from '../contracts/routes';

/** `npm run build:web` writes the billing page here; the CDK web-site construct builds the same sources. */
export const WEB_DIST_DIR = 'web/dist';

/** What the page is built from: its sources, the domain code it imports, and the locked dependencies. */
const PAGE_INPUTS = ['web', 'src', 'contracts', 'package-lock.json'];

/** The modification times of every file under `paths`, skipping `skip` and any node_modules. */
const modificationTimes = (paths: readonly string[], skip?: string): number[] => {
  const times: number[] = [];
  const visit = (path: string): void => {
    if (path === skip || !existsSync(path)) return;
    const stat = statSync(path);
    if (!stat.isDirectory()) times.push(stat.mtimeMs);
    else for (const name of readdirSync(path)) if (name !== 'node_modules') visit(join(path, name));
  };
  for (const path of paths) visit(path);
  return times;
};

/**
 * Whether `web/dist` holds a build newer than every input, as `make` decides: true after
 * `npm run build:web` (which `npm test` runs) or an earlier start, until a source changes.
 */
export const pageIsBuilt = (repoRoot: string): boolean => {
  const dist = join(repoRoot, WEB_DIST_DIR);
  if (!existsSync(join(dist, 'index.html'))) return false;
  const outputs = modificationTimes([dist]);
  const inputs = modificationTimes(
    PAGE_INPUTS.map((path) => join(repoRoot, path)),
    dist,
  );
  return Math.max(...inputs) < Math.min(...outputs);
};

/**
 * Builds the billing page into `web/dist` with `vite build web` (the `build:web` script), printing
 * only its warnings and errors, unless the build there is newer than its sources. `npm start`
 * runs it beside DynamoDB Local's start.
 *
 * @example
 * await buildWebPage({ repoRoot: REPO_ROOT }); // 'built' | 'up to date'
 */
export const buildWebPage = async ({ repoRoot }: { repoRoot: string }): Promise<'built' | 'up to date'> => {
  if (pageIsBuilt(repoRoot)) return 'up to date';
  const vitePackage = createRequire(join(repoRoot, 'package.json')).resolve('vite/package.json');
  const { bin } = JSON.parse(readFileSync(vitePackage, 'utf8')) as { bin: { vite: string } };
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [join(dirname(vitePackage), bin.vite), 'build', 'web', '--logLevel', 'warn'], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => (code === 0 ? done() : fail(new Error(`vite build web failed (${signal ?? `exit code ${code}`}); its output is above`))));
  });
  return 'built';
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * What the deployed page gets from CloudFront's response headers policy, so the page is
 * exercised locally under the same rules: scripts and styles from the page's own origin
 * only, API calls to the same origin, no framing.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export interface WebRouteOptions {
  /** The built page (`web/dist` under the repository root). */
  readonly distDir: string;
}

const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string): void => {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>SecureNet Billing</title>
<h1>The billing page is not built</h1><p>Run <code>npm run build:web</code> (<code>npm start</code> runs it first) and reload.</p></html>`;

/**
 * The billing web page on the local HTTP API's port, as a `localRoutes` handler: GET and
 * HEAD of `/`, the built assets, and `/config.json` (same-origin API, local mode: the page
 * signs in from `#token=` and subscribes with Stripe's test card). Any other path without a file extension gets
 * `index.html` (the SPA fallback CloudFront applies). The API prefix and the local-only
 * `/__local/` routes are never answered here.
 */
export const webRoute = (options: WebRouteOptions) => {
  const root = resolve(options.distDir);

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const path = url.pathname;
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path.startsWith('/__local/')) return false;

    if (path === '/config.json') {
      send(res, 200, { 'content-type': CONTENT_TYPES['.json'] ?? '', 'cache-control': 'no-store' }, JSON.stringify({ apiUrl: API_PREFIX, local: true }));
      return true;
    }

    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'Bad path');
      return true;
    }
    const file = resolve(root, `.${sep}${normalize(decoded)}`);
    const inside = file === root || file.startsWith(`${root}${sep}`);
    if (!inside) {
      send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'Not found');
      return true;
    }

    const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
    let target = file;
    if (!isFile(target)) {
      // Asset-looking paths that do not exist are a 404; page paths get the SPA.
      if (extname(decoded) !== '') {
        send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'Not found');
        return true;
      }
      target = join(root, 'index.html');
      if (!isFile(target)) {
        send(res, 503, { 'content-type': CONTENT_TYPES['.html'] ?? '', 'cache-control': 'no-store' }, NOT_BUILT);
        return true;
      }
    }

    const hashed = target.startsWith(join(root, 'assets') + sep);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
      'content-length': String(statSync(target).size),
      // Vite names assets by content hash; index.html must be re-read to pick up a new build.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise<void>((done, fail) => {
      const stream = createReadStream(target);
      stream.on('error', fail);
      stream.on('end', () => done());
      stream.pipe(res);
    });
    return true;
  };
};
