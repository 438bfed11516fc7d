/** A small method + path-pattern router: `/pipes/:pipe/messages` style patterns, exact segment counts. */
import { HttpError } from './respond.js';

export interface Route<H> {
  method: string;
  /** Segments separated by `/`; `:name` captures one segment. */
  pattern: string;
  handler: H;
}

export type RouteMatch<H> =
  | { handler: H; params: Record<string, string> }
  /** The path exists, but not for this method: these methods are allowed. */
  | { allow: string };

export class Router<H> {
  private readonly routes: { method: string; segments: string[]; handler: H }[] = [];

  constructor(routes: Route<H>[]) {
    for (const r of routes) this.routes.push({ method: r.method, segments: split(r.pattern), handler: r.handler });
  }

  /** Finds the route for a method and path; null when no pattern fits the path. HEAD is served by GET routes. */
  match(method: string, path: string): RouteMatch<H> | null {
    const segments = split(path).map(decodeSegment);
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { handler: route.handler, params };
      }
      allowed.add(route.method);
    }
    if (allowed.size === 0) return null;
    if (allowed.has('GET')) allowed.add('HEAD');
    return { allow: [...allowed, 'OPTIONS'].join(', ') };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** Percent-decodes one path segment; malformed encoding is the client's error (400). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid', 'malformed percent-encoding in the path');
  }
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  if (pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    const s = path[i];
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s) return null;
  }
  return params;
}
