/**
 * kafkadump's library part: format one Kafka message the way `kafkadump dump` prints it, dump
 * a topic until told to stop, and list the cluster's topics. `main.ts` only wires these to the
 * command line.
 *
 * @example
 * ```ts
 * import { formatMessage } from "./dump.ts";
 *
 * const line = formatMessage('{"url":"http://a.com","body":"PGI+aGk8L2I+"}', {
 *   justBody: true,
 *   decodeBase64: true,
 * });
 * if (line !== "<b>hi</b>") throw new Error(line);
 * ```
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { createConsumer, type Kafka, listTopics } from "../../lib/services/mod.ts";
import { getLog } from "../../lib/config/mod.ts";

/** How {@linkcode formatMessage} shows a message. */
export interface FormatOptions {
  /**
   * Indent JSON by 4 spaces (as Scrapy Cluster's `json.dumps(item, indent=4)`).
   * @default {false}
   */
  pretty?: boolean;
  /**
   * Leave out the `body` field of JSON objects.
   * @default {false}
   */
  noBody?: boolean;
  /**
   * Print only the `body` field of JSON objects: a string as is, anything else as JSON.
   * Messages without a body are printed whole. Wins over `noBody`.
   * @default {false}
   */
  justBody?: boolean;
  /**
   * Base64-decode a string `body`, as text in the message's `encoding` field (UTF-8 when
   * absent or unknown). A body that is not valid base64 or not valid text stays as it is.
   * @default {false}
   */
  decodeBase64?: boolean;
}

/**
 * The text printed for one message `value` (already decoded from bytes; `null` for a message
 * without a value). JSON objects are reshaped by `opts`; other JSON values are shown (indented
 * with `pretty`); anything else is returned raw. A JSON message that needs no change and no
 * indenting is returned exactly as it arrived, so large numbers keep their digits.
 *
 * Never throws.
 */
export function formatMessage(value: string | null, opts: FormatOptions = {}): string {
  if (value === null) return "null";
  let item: unknown;
  try {
    item = JSON.parse(value);
  } catch {
    return value;
  }
  try {
    return _format(value, item, opts);
  } catch {
    // Only pathological input gets here (nesting deep enough to overflow JSON.stringify).
    return value;
  }
}

function _format(raw: string, item: unknown, opts: FormatOptions): string {
  const show = (v: unknown) => JSON.stringify(v, null, opts.pretty ? 4 : undefined);
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return opts.pretty ? show(item) : raw;
  }
  const fields = item as Record<string, unknown>;
  if (!Object.hasOwn(fields, "body")) return opts.pretty ? show(fields) : raw;

  let body = fields.body;
  if (opts.decodeBase64 && typeof body === "string") {
    body = decodeBase64Text(body, fields.encoding);
  }
  if (opts.justBody) return typeof body === "string" ? body : show(body);
  if (!opts.noBody && body === fields.body) return opts.pretty ? show(fields) : raw;

  const out = { ...fields }; // keeps the field order
  if (opts.noBody) delete out.body;
  else out.body = body;
  return show(out);
}

const _BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `text` base64-decoded as text in `encoding` (a WHATWG label such as `utf-8` or
 * `iso-8859-7`; UTF-8 when it is not a known label), or `text` itself when it is not valid
 * base64 or the bytes are not valid text in that encoding. Whitespace is ignored.
 */
export function decodeBase64Text(text: string, encoding?: unknown): string {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, "") : text;
  if (compact.length % 4 === 1 || !_BASE64.test(compact)) return text;
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    return text;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(typeof encoding === "string" ? encoding : "utf-8", { fatal: true });
  } catch {
    decoder = new TextDecoder("utf-8", { fatal: true });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    return text;
  }
}

/** What {@linkcode dumpTopic} reads and where it writes. */
export interface DumpOptions extends FormatOptions {
  /**
   * Read the topic from its first message. Otherwise a new group starts at the end, so only
   * messages produced after it joined are shown. A `groupId` with committed offsets resumes
   * from them either way.
   * @default {false}
   */
  fromBeginning?: boolean;
  /**
   * Consumer group id; its offsets are committed. Without one, a fresh `kafkadump-<uuid>`
   * group is used and nothing is committed.
   */
  groupId?: string;
  /** Stops the dump. */
  signal: AbortSignal;
  /** Receives each formatted message (without a trailing newline). */
  write: (line: string) => void;
  /** Stop after this many messages. @default {Infinity} */
  maxMessages?: number;
  /** Largest fetch per partition in bytes (`KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES`). */
  maxBytesPerPartition?: number;
  /**
   * Called once, after the consumer joined its group and finished its first fetch: from then
   * on its starting offsets are fixed, so anything produced afterwards will be shown.
   */
  onReady?: () => void;
  /** Where notices go. @default {getLog("kafkadump")} */
  log?: Logger;
}

/**
 * Writes every message of `topic` through `opts.write` until `opts.signal` aborts or
 * `opts.maxMessages` were written, then disconnects and resolves with the number written.
 * A topic that does not exist is not created: one warning is logged and 0 returned.
 *
 * @throws the error of `opts.write`, or of a consumer that crashed for good.
 */
export async function dumpTopic(kafka: Kafka, topic: string, opts: DumpOptions): Promise<number> {
  const log = opts.log ?? getLog("kafkadump");
  const max = opts.maxMessages ?? Infinity;
  if (opts.signal.aborted || max <= 0) return 0;
  if (!(await listTopics(kafka)).includes(topic)) {
    log.warn("Cannot dump topic {topic}: it does not exist (see 'kafkadump list')", { topic });
    return 0;
  }

  const consumer = createConsumer(kafka, {
    groupId: opts.groupId ?? `kafkadump-${crypto.randomUUID()}`,
    allowAutoTopicCreation: false,
    ...(opts.maxBytesPerPartition ? { maxBytesPerPartition: opts.maxBytesPerPartition } : {}),
  });
  const stopped = Promise.withResolvers<Error | undefined>();
  let done = false;
  const stop = (err?: Error) => {
    done = true;
    stopped.resolve(err);
  };
  const onAbort = () => stop();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  if (opts.signal.aborted) stop(); // aborted while the topics were listed

  let joined = false;
  let ready = false;
  const unsubscribe = [
    consumer.on(consumer.events.GROUP_JOIN, () => joined = true),
    // Offsets are resolved inside the fetch that follows the join, not at the join itself.
    consumer.on(consumer.events.FETCH, () => {
      if (!joined || ready) return;
      ready = true;
      opts.onReady?.();
    }),
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) stop(payload.error);
    }),
  ];

  const decoder = new TextDecoder(); // invalid UTF-8 becomes U+FFFD
  let count = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false });
    await consumer.run({
      autoCommit: opts.groupId !== undefined,
      // Only written messages count as consumed, so a named group resumes at the first unseen.
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (const message of batch.messages) {
          if (done || !isRunning() || isStale()) return;
          const value = message.value === null ? null : decoder.decode(message.value);
          try {
            opts.write(formatMessage(value, opts));
          } catch (err) {
            stop(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          resolveOffset(message.offset);
          if (++count >= max) stop();
          await heartbeat();
        }
      },
    });
    const err = await stopped.promise;
    if (err) throw err;
    return count;
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
    for (const off of unsubscribe) off();
    await consumer.disconnect().catch((err: Error) => {
      log.warn("Cannot disconnect cleanly: {message}", { message: err.message });
    });
  }
}

/** Scrapy Cluster's `list` output: `Topics:` and then `- <topic>` per line, sorted. */
export async function listTopicsText(kafka: Kafka): Promise<string> {
  const topics = await listTopics(kafka);
  return ["Topics:", ...topics.map((t) => `- ${t}`)].join("\n");
}
