/**
 * A parse worker (`PARSE_WORKERS` > 0): loads the crawler's spider module itself, then for each
 * page runs `parse` and prepares the output (`page_output.ts`: queue entries, the item as UTF-8
 * bytes) — the main thread's work between a download and its delivery, off its event loop.
 * Kept light on purpose: it imports no Redis, Kafka or frontier module (each would cost every
 * worker megabytes of heap).
 *
 * @module
 */

import { createPage } from "../page.ts";
import { loadSpider } from "../spider_loader.ts";
import type { Spider } from "../spider.ts";
import { outputProblem, type PrepareOptions, prepareOutput } from "./page_output.ts";
import { type FromWorker, type ToWorker, transferables } from "./parse_messages.ts";

/** The worker global as this module uses it (the project is checked with the window types). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

const scope = self as unknown as WorkerScope;
let spider: Promise<Spider> | undefined;
// Fingerprints are left to the main thread: it computes them only for links it did not send.
const WORKER_OPTIONS = { bytes: true, fingerprints: false };
let options: PrepareOptions = { base64: false, itemBudgetBytes: Infinity, ...WORKER_OPTIONS };

scope.onmessage = ({ data: msg }) => {
  if (msg.type === "ping") scope.postMessage({ type: "pong" });
  else if (msg.type === "init") init(msg);
  else parsePage(msg);
};

function init(msg: Extract<ToWorker, { type: "init" }>): void {
  options = { base64: msg.base64, itemBudgetBytes: msg.itemBudgetBytes, ...WORKER_OPTIONS };
  spider = loadSpider(msg.spider, msg.cwd);
  spider.then(
    () => scope.postMessage({ type: "ready" }),
    (err) => scope.postMessage({ type: "init_failed", error: cloneable(err) }),
  );
}

async function parsePage(msg: Extract<ToWorker, { type: "page" }>): Promise<void> {
  const { id, req } = msg;
  const page = createPage(msg.fields);
  const fail = (error: unknown, parse: boolean) => {
    const body = page.body;
    scope.postMessage(
      { type: "failed", id, body, parse, error: cloneable(error) },
      transferables(body),
    );
  };
  try {
    if (spider === undefined) throw new Error("Cannot parse: the worker has no spider yet");
    const s = await spider;
    let output;
    try {
      output = await s.parse(page, req);
    } catch (err) {
      return fail(err, true);
    }
    const problem = outputProblem(output);
    if (problem !== null) return fail(problem, true);
    const prepared = prepareOutput(output, page, req, options);
    const item = prepared.item?.kind === "message" ? prepared.item.value : undefined;
    scope.postMessage(
      { type: "done", id, body: page.body, output: prepared },
      transferables(page.body, item),
    );
  } catch (err) {
    fail(err, false);
  }
}

/**
 * A value that survives `postMessage` and reads the same on the other side: itself when it
 * can be cloned, else an Error with its name, message and stack (or its text).
 */
function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    if (!(value instanceof Error)) return String(value);
    const copy = new Error(value.message);
    copy.name = value.name;
    copy.stack = value.stack;
    return copy;
  }
}
