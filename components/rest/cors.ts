/**
 * CORS, off unless `CORS_ALLOWED_ORIGINS` lists origins (`*` allows any). Allowed origins get
 * `Access-Control-Allow-Origin` on every answer (errors included, so a page can read them) and
 * preflight answers naming the methods and the headers the API uses.
 *
 * @module
 */

/** Request headers a browser may send to the API. */
export const ALLOWED_HEADERS = "Content-Type, Authorization, X-Api-Key";

/** CORS for a list of origins. */
export interface Cors {
  /** The CORS headers for an answer to `req` (none for other origins). */
  headers(req: Request): Record<string, string>;
  /** The extra headers of a preflight answer for a path accepting `methods`. */
  preflightHeaders(req: Request, methods: readonly string[]): Record<string, string>;
}

function _normalise(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, "");
}

/** CORS for `origins`; null when the list is empty (CORS off). */
export function createCors(origins: readonly string[]): Cors | null {
  const allowed = new Set(origins.map(_normalise).filter((o) => o !== ""));
  if (allowed.size === 0) return null;
  const any = allowed.has("*");
  const headers = (req: Request): Record<string, string> => {
    const origin = req.headers.get("origin");
    if (origin === null) return {};
    if (any) return { "access-control-allow-origin": "*" };
    if (!allowed.has(_normalise(origin))) return { vary: "Origin" };
    return { "access-control-allow-origin": origin, vary: "Origin" };
  };
  return {
    headers,
    preflightHeaders(req, methods) {
      const base = headers(req);
      if (!("access-control-allow-origin" in base)) return base;
      return {
        ...base,
        "access-control-allow-methods": methods.join(", "),
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
      };
    },
  };
}
