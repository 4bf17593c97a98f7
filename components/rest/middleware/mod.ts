/**
 * The rest service's middleware: small wrappers around a `(Request, Context) => Response`
 * handler, stacked with {@linkcode compose} in `../app.ts`.
 *
 * @module
 */

export * from "./auth.ts";
export * from "./body_limit.ts";
export * from "./catch_errors.ts";
export * from "./compose.ts";
export * from "./count.ts";
export * from "./cors.ts";
export * from "./deadline.ts";
export * from "./host_check.ts";
export * from "./methods.ts";
export * from "./router.ts";
