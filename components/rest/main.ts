/**
 * rest: `run` serves the REST API (Scrapy Cluster's rest_service.py) on `REST_HOST:REST_PORT`
 * until SIGINT/SIGTERM, then stops accepting connections, finishes the requests in flight and
 * disconnects.
 *
 * @module
 */

import {
  exitWithError,
  finish,
  getLog,
  type ProgramSpec,
  shutdownSignal,
  startProgram,
} from "../../lib/config/mod.ts";
import { errorResponse, HttpError, MESSAGES } from "./errors.ts";
import { type RestService, startRestService } from "./service.ts";
import { REST_SETTINGS } from "./settings.ts";

const PROGRAM: ProgramSpec = {
  name: "rest",
  description: "Serves the cluster's REST API: feed requests, poll for answers, health.",
  commands: [{ name: "run", summary: "serve the API until stopped" }],
};

/** Deno.serve, with a bind failure in one line naming the address. */
function _serve(
  opts: Deno.ServeTcpOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve(opts, handler);
  } catch (err) {
    throw new Error(
      `Cannot listen on ${opts.hostname}:${opts.port} (REST_HOST:REST_PORT): ${
        (err as Error).message
      }`,
    );
  }
}

if (import.meta.main) {
  const { settings } = await startProgram(PROGRAM, REST_SETTINGS, Deno.args, Deno.env.toObject());
  const log = getLog("rest");
  const signal = shutdownSignal();
  let service: RestService | undefined;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    service = await startRestService(settings, { log });
    server = _serve({
      hostname: settings.REST_HOST,
      port: settings.REST_PORT,
      onListen: ({ hostname, port }) =>
        log.info("Rest service listening on {hostname}:{port}", {
          hostname,
          port,
        }),
      onError: (err) => {
        log.error("Unexpected server error: {error}", { error: (err as Error)?.stack ?? err });
        return errorResponse(new HttpError(500, MESSAGES.internal));
      },
    }, service.handler);
  } catch (err) {
    log.error("{message}", { message: (err as Error).message });
    await service?.close();
    exitWithError(err);
  }
  // shutdown(), unlike passing the signal to Deno.serve, lets the requests in flight finish.
  const stop = () => {
    log.info("Rest service stopping: finishing the requests in flight");
    server.shutdown().catch(() => {});
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  await server.finished;
  await service.close();
  log.info("Rest service stopped");
  await finish(0);
}
