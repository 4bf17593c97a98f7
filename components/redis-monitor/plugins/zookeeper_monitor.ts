/**
 * Zookeeper API jobs (`zk:<action>:<domain>:<appid>` = JSON `{domain, uuid[, hits, window,
 * scale]}`): changes the cluster-wide domain config, the YAML document at
 * `ZOOKEEPER_ASSIGN_PATH + ZOOKEEPER_ID` that every crawler watches, and answers
 * `{uuid, server_time, action, domain, appid}`.
 *
 * - `domain-update` replaces the domain's entry with `{window, hits, scale}` (scale 1.0 when
 *   absent; 0 pauses the domain), `domain-remove` deletes it, `blacklist-update` appends the
 *   domain unless listed, `blacklist-remove` removes it. The document is written exactly as
 *   Scrapy Cluster's PyYAML did (see `lib/api/domain_config.ts`).
 * - **No lost updates**: read-modify-write with ZooKeeper's version check. The write carries
 *   the version read; when another monitor wrote in between (`BAD_VERSION`), the document is
 *   read again and the change re-applied (after a few random milliseconds, so racing monitors
 *   spread out), up to {@linkcode MAX_ATTEMPTS} times. (Scrapy Cluster wrote blindly, so two
 *   concurrent updates could lose one.)
 * - The node (and its parents) is created when missing.
 * - **ZooKeeper unreachable or failing**: the answer carries `error: "Unable to load Zookeeper
 *   config"` (the read failed; nothing is written) or `"Unable to store Zookeeper config"` (the
 *   write failed, or kept losing races), and the job is done: it is not retried, the caller
 *   sees the error and may send the request again (every action is idempotent, so resending is
 *   safe even when a timed-out write did land). Unlike Scrapy Cluster, a failed read never
 *   leads to a write (which would have replaced the whole config with just this change), and
 *   a document that is not valid YAML is not overwritten (answered with the load error; fix
 *   the node by hand).
 * - Invalid requests are answered with an `error` and change nothing: an unknown action, an
 *   empty domain, or a `domain-update` without positive `hits` and `window`.
 * - **Nothing is erased by accident**: entries the crawlers ignore (invalid domain entries,
 *   unknown keys, blacklist items that are not names) are kept verbatim through the
 *   read-modify-write and logged as a warning; a change that cannot be applied without erasing
 *   what the node holds (`blacklist` not a list, `domains` not a mapping) is refused with
 *   {@linkcode LOAD_ERROR} and logged.
 *
 * **Secured** (`ZOOKEEPER_AUTH=user:password`): the monitor authenticates with the digest scheme,
 * creates the node and the parents it creates with `digest:<its id>:cdrwa` and
 * `world:anyone:r` (only it writes, anyone reads), closes a node it finds fully open, and checks
 * at each connection that its identity may write the node (a wrong password is named then, in
 * the log and as the job's `LOAD_ERROR`). It connects at start then, so that shows at once.
 *
 * The ZooKeeper connection is made at the first job (bounded by {@linkcode TIMEOUT_MS}, at
 * once when the port is closed), and made again at the next job after a connection error or
 * an expired session.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { retry, RetryError } from "../../../lib/async/mod.ts";
import {
  DOMAIN_CONFIG_ACTIONS,
  type DomainConfigChange,
  domainConfigPath,
  updateDomainConfigText,
} from "../../../lib/api/mod.ts";
import {
  checkConfigWriter,
  type Client,
  closeZookeeper,
  configNodeAcl,
  connectZookeeper,
  create,
  getData,
  isZookeeperError,
  type NodeData,
  parseZookeeperAuth,
  setData,
  type ZookeeperAuth,
} from "../../../lib/services/mod.ts";
import type { ACL } from "node-zookeeper-client";
import type { Answer, PluginFactory } from "../plugin.ts";

/** Scrapy Cluster's error when the config cannot be read. */
export const LOAD_ERROR = "Unable to load Zookeeper config";
/** Scrapy Cluster's error when the config cannot be written. */
export const STORE_ERROR = "Unable to store Zookeeper config";
/** The answer to a request with an empty domain. */
export const EMPTY_DOMAIN_ERROR = "'domain' must not be empty";
/** Read-modify-write rounds before giving up on concurrent writers. */
export const MAX_ATTEMPTS = 8;
/** Bound of the connection and of each ZooKeeper call. */
export const TIMEOUT_MS = 5_000;

/** Errors after which the client is dropped and the next job connects again. */
const CONNECTION_ERRORS = ["CONNECTION_LOSS", "SESSION_EXPIRED", "TIMEOUT", "ABORTED"];

const zookeeperMonitor: PluginFactory = ({ settings, log }) => {
  const hosts = settings.ZOOKEEPER_HOSTS;
  const path = domainConfigPath(settings.ZOOKEEPER_ASSIGN_PATH, settings.ZOOKEEPER_ID);
  const auth = parseZookeeperAuth(settings.ZOOKEEPER_AUTH);
  const zk = new _Connection(hosts, log, path, auth);
  // Secured: connect now, so a wrong password or a node owned by another identity shows at start.
  if (auth) {
    zk.client().catch((err) =>
      log.error("Cannot use ZooKeeper at {hosts} for {path}: {reason}", {
        hosts,
        path,
        reason: (err as Error).message,
      })
    );
  }

  return {
    name: "ZookeeperMonitor",
    pattern: "zk:*:*:*",
    async handle(key, value, nowSec) {
      const [, action, domain, appid] = key.split(":");
      const job = JSON.parse(value) as Record<string, unknown>;
      const answer: Answer = {
        uuid: job.uuid,
        server_time: Math.floor(nowSec),
        action,
        domain,
        appid,
      };
      log.info("Received zookeeper request {action} {domain}", {
        action,
        domain,
        appid,
        uuid: job.uuid,
      });
      const change = _change(action, domain, job);
      if (typeof change === "string") {
        log.warn("Refused zookeeper request: {error}", { error: change, key });
        return { ...answer, error: change };
      }
      const error = await _update(zk, path, change, log);
      if (error) return { ...answer, error };
      log.info("Domain config {path} updated: {action} {domain}", { path, action, domain });
      return answer;
    },
    close: () => zk.close(),
  };
};

export default zookeeperMonitor;

/** The change a job asks for, or the error to answer. */
function _change(
  action: string,
  domain: string,
  job: Record<string, unknown>,
): DomainConfigChange | string {
  if (!(DOMAIN_CONFIG_ACTIONS as readonly string[]).includes(action)) {
    return "Unknown command given to Zookeeper Monitor";
  }
  if (domain === "") return EMPTY_DOMAIN_ERROR;
  if (action !== "domain-update") {
    return { action: action as Exclude<DomainConfigChange["action"], "domain-update">, domain };
  }
  const { hits, window } = job;
  const scale = job.scale ?? 1;
  if (!_positive(hits) || !_positive(window)) {
    return "'hits' and 'window' must be positive numbers for domain update";
  }
  if (typeof scale !== "number" || !(scale >= 0 && scale <= 1)) {
    return "'scale' must be a number from 0 to 1 for domain update";
  }
  return { action: "domain-update", domain, hits, window, scale };
}

function _positive(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n) && n > 0;
}

/**
 * Read-modify-write with version checks; resolves with the error to answer, or null. A write
 * that lost a race (`BAD_VERSION`, or `NO_NODE` when the node was deleted meanwhile) is tried
 * again from the read, after a short random wait so racing monitors spread out; every other
 * outcome is final.
 */
async function _update(
  zk: _Connection,
  path: string,
  change: DomainConfigChange,
  log: Logger,
): Promise<string | null> {
  try {
    return await retry(() => _attempt(zk, path, change, log), {
      maxAttempts: MAX_ATTEMPTS,
      minDelayMs: 5,
      maxDelayMs: 100,
      isRetriable: _lostRace,
      onRetry: (_err, attempt) =>
        log.debug("{path} changed under us (attempt {attempt}); reading it again", {
          path,
          attempt,
        }),
    });
  } catch (err) {
    if (!(err instanceof RetryError)) throw err;
    log.error("{error}: {path} kept changing during {n} attempts", {
      error: STORE_ERROR,
      path,
      n: MAX_ATTEMPTS,
    });
    return STORE_ERROR;
  }
}

/** The write lost a race with another writer. */
function _lostRace(err: unknown): boolean {
  return isZookeeperError(err, "BAD_VERSION", "NO_NODE");
}

/** One read-modify-write: the error to answer, or null; throws only when the write lost a race. */
async function _attempt(
  zk: _Connection,
  path: string,
  change: DomainConfigChange,
  log: Logger,
): Promise<string | null> {
  let client: Client;
  let current: NodeData;
  try {
    client = await zk.client();
    current = await _read(client, path, zk.acl);
  } catch (err) {
    zk.failed(err);
    log.error("{error}: cannot read {path}: {reason}", {
      error: LOAD_ERROR,
      path,
      reason: (err as Error).message,
    });
    return LOAD_ERROR;
  }
  let text: string;
  try {
    const updated = updateDomainConfigText(current.data, change);
    text = updated.text;
    if (updated.ignored.length > 0) {
      log.warn("{path} holds entries the crawlers ignore, kept as they are: {ignored}", {
        path,
        ignored: updated.ignored,
      });
    }
  } catch (err) {
    log.error("{error}: {path} is not a valid domain config, left as it is: {reason}", {
      error: LOAD_ERROR,
      path,
      reason: (err as Error).message,
    });
    return LOAD_ERROR;
  }
  if (text === current.data) return null; // already so (the request was repeated)
  try {
    await setData(client, path, text, current.version, { timeoutMs: TIMEOUT_MS });
    return null;
  } catch (err) {
    if (_lostRace(err)) throw err;
    zk.failed(err);
    log.error("{error}: cannot write {path}: {reason}", {
      error: STORE_ERROR,
      path,
      reason: (err as Error).message,
    });
    return STORE_ERROR;
  }
}

/** The node's content and version, creating it (empty, with its parents) when missing. */
async function _read(client: Client, path: string, acl?: ACL[]): Promise<NodeData> {
  try {
    return await getData(client, path, { timeoutMs: TIMEOUT_MS });
  } catch (err) {
    if (!isZookeeperError(err, "NO_NODE")) throw err;
  }
  await create(client, path, "", { mkdirp: true, timeoutMs: TIMEOUT_MS, acl });
  return await getData(client, path, { timeoutMs: TIMEOUT_MS });
}

/**
 * A lazily made client, made again after connection errors. With credentials, each new client
 * first makes sure the config node exists with its ACL and that they may write it.
 */
class _Connection {
  #client: Promise<Client> | null = null;
  readonly #closing = new Set<Promise<void>>();
  /** The ACL of the nodes this monitor creates (ZooKeeper's open one without credentials). */
  readonly acl: ACL[] | undefined;

  constructor(
    readonly hosts: string,
    readonly log: Logger,
    readonly path: string,
    readonly auth: ZookeeperAuth | null,
  ) {
    this.acl = auth ? configNodeAcl(auth) : undefined;
  }

  client(): Promise<Client> {
    if (!this.#client) {
      const connecting = this.#connect();
      this.#client = connecting;
      connecting.then((client) => {
        this.log.info("Connected to ZooKeeper at {hosts}", { hosts: this.hosts });
        client.once("expired", () => this.#drop(connecting));
      }, () => this.#drop(connecting));
    }
    return this.#client;
  }

  async #connect(): Promise<Client> {
    const client = await connectZookeeper(this.hosts, {
      timeoutMs: TIMEOUT_MS,
      sessionTimeoutMs: 30_000,
      auth: this.auth,
    });
    if (!this.auth) return client;
    try {
      await _read(client, this.path, this.acl);
      await checkConfigWriter(client, this.path, this.auth, { timeoutMs: TIMEOUT_MS });
      return client;
    } catch (err) {
      await closeZookeeper(client);
      throw err;
    }
  }

  /** After a call failed: drop the client when the failure is the connection's. */
  failed(err: unknown): void {
    if (!isZookeeperError(err) || CONNECTION_ERRORS.includes(err.code)) {
      if (this.#client) this.#drop(this.#client);
    }
  }

  #drop(which: Promise<Client>): void {
    if (this.#client !== which) return;
    this.#client = null;
    const closing = which.then((c) => closeZookeeper(c), () => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  async close(): Promise<void> {
    if (this.#client) this.#drop(this.#client);
    await Promise.allSettled([...this.#closing]);
  }
}
