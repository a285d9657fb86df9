import type { Route } from '../resources/context';

export interface RouteMatch {
  readonly route: Route;
  readonly path: Record<string, string>;
}

interface Compiled {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly literal: number;
}

const compile = (route: Route): Compiled => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}/?$`), names, literal: route.path.replace(/:\w+/g, '').length };
};

/** Matches `METHOD /path` against the routes; literal segments win over `:params` (`/invoices/create_preview`). */
export const router = (routes: readonly Route[]) => {
  const compiled = routes.map(compile).sort((a, b) => b.literal - a.literal);
  return (method: string, path: string): RouteMatch | null | 'method_not_allowed' => {
    let pathMatched = false;
    for (const c of compiled) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route: c.route, path: params };
    }
    return pathMatched ? 'method_not_allowed' : null;
  };
};
