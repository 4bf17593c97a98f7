/**
 * Reading and writing ZooKeeper nodes as promises: every call is bounded by a timeout, can be
 * aborted, and fails with a {@linkcode ZookeeperError} naming ZooKeeper's error code.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ACL } from "node-zookeeper-client";
import { type Client, isZookeeperError, type ZkEvent, ZookeeperError } from "./zookeeper.ts";

/** Options of the calls below. */
export interface CallOptions {
  /** Time allowed for the answer. @default 10_000 */
  timeoutMs?: number;
  /** Gives up (rejecting with `ABORTED`) when aborted. */
  signal?: AbortSignal;
}

/** A node's content (UTF-8; an empty node reads as "") and version. */
export interface NodeData {
  data: string;
  version: number;
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Reads a node (and sets `watch` on it). Throws `NO_NODE` when it does not exist. */
export function getData(
  client: Client,
  path: string,
  opts: CallOptions & { watch?: (event: ZkEvent) => void } = {},
): Promise<NodeData> {
  return _call<NodeData>("getData", path, opts, (done) => {
    const cb = (err: unknown, data: Buffer | null | undefined, stat: { version: number }) =>
      err
        ? done(err)
        : done(null, { data: data ? data.toString("utf8") : "", version: stat.version });
    if (opts.watch) client.getData(path, opts.watch, cb);
    else client.getData(path, cb);
  });
}

/**
 * Writes a node when its version is still `version` (-1: any version); resolves with the new
 * version. Throws `BAD_VERSION` when someone wrote it meanwhile, `NO_NODE` when it is gone.
 */
export function setData(
  client: Client,
  path: string,
  data: string,
  version = -1,
  opts: CallOptions = {},
): Promise<number> {
  return _call<number>("setData", path, opts, (done) => {
    client.setData(
      path,
      Buffer.from(data, "utf8"),
      version,
      (err, stat) => err ? done(err) : done(null, stat.version),
    );
  });
}

/**
 * Creates a node holding `data`; with `mkdirp` its missing parents are created too (empty)
 * and an existing node is not an error. Resolves true when this call created it. `acl` (the
 * node's and the parents' created here) defaults to ZooKeeper's open ACL.
 */
export async function create(
  client: Client,
  path: string,
  data = "",
  opts: CallOptions & { mkdirp?: boolean; acl?: ACL[] } = {},
): Promise<boolean> {
  const acl = opts.acl;
  if (opts.mkdirp) {
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent && !(await exists(client, parent, opts))) {
      await _call<string>("mkdirp", parent, opts, (done) => {
        const cb = (err: unknown, p: string) => err ? done(err) : done(null, p);
        if (acl) client.mkdirp(parent, acl, cb);
        else client.mkdirp(parent, cb);
      });
    }
  }
  try {
    await _call<string>("create", path, opts, (done) => {
      const payload = data === "" ? undefined : Buffer.from(data, "utf8");
      const cb = (err: unknown, p: string) => err ? done(err) : done(null, p);
      if (payload && acl) client.create(path, payload, acl, cb);
      else if (payload) client.create(path, payload, cb);
      else if (acl) client.create(path, acl, cb);
      else client.create(path, cb);
    });
    return true;
  } catch (err) {
    if (opts.mkdirp && isZookeeperError(err, "NODE_EXISTS")) return false;
    throw err;
  }
}

/** True when the node exists; `watch` fires when it is created, changed or deleted. */
export function exists(
  client: Client,
  path: string,
  opts: CallOptions & { watch?: (event: ZkEvent) => void } = {},
): Promise<boolean> {
  return _call<boolean>("exists", path, opts, (done) => {
    const cb = (err: unknown, stat: unknown) => err ? done(err) : done(null, Boolean(stat));
    if (opts.watch) client.exists(path, opts.watch, cb);
    else client.exists(path, cb);
  });
}

/** A node's ACL. Throws `NO_NODE` when it does not exist. */
export function getAcl(client: Client, path: string, opts: CallOptions = {}): Promise<ACL[]> {
  return _call<ACL[]>("getACL", path, opts, (done) => {
    client.getACL(path, (err, acl) => err ? done(err) : done(null, acl));
  });
}

/** Replaces a node's ACL (needs the ADMIN permission on it). */
export function setAcl(
  client: Client,
  path: string,
  acl: ACL[],
  opts: CallOptions = {},
): Promise<void> {
  return _call<void>("setACL", path, opts, (done) => {
    client.setACL(path, acl, -1, (err) => done(err));
  });
}

/** The names of a node's children. Throws `NO_NODE` when it does not exist. */
export function getChildren(
  client: Client,
  path: string,
  opts: CallOptions = {},
): Promise<string[]> {
  return _call<string[]>("getChildren", path, opts, (done) => {
    client.getChildren(path, (err, children) => err ? done(err) : done(null, children));
  });
}

/** Deletes a node (with `recursive`, its whole subtree); a missing node is not an error. */
export async function remove(
  client: Client,
  path: string,
  opts: CallOptions & { recursive?: boolean } = {},
): Promise<void> {
  try {
    if (opts.recursive) {
      for (const child of await getChildren(client, path, opts)) {
        await remove(client, path === "/" ? `/${child}` : `${path}/${child}`, opts);
      }
    }
    await _call<void>("remove", path, opts, (done) => client.remove(path, (err) => done(err)));
  } catch (err) {
    if (!isZookeeperError(err, "NO_NODE")) throw err;
  }
}

/** Runs one callback-style call with a timeout, an abort signal and errors as ZookeeperError. */
function _call<T>(
  what: string,
  path: string,
  opts: CallOptions,
  start: (done: (err: unknown, value?: T) => void) => void,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) reject(_toError(what, path, err));
      else resolve(value as T);
    };
    const onAbort = () =>
      finish(new ZookeeperError("ABORTED", `ZooKeeper ${what} ${path}: aborted`, path));
    const timer = setTimeout(
      () =>
        finish(
          new ZookeeperError(
            "TIMEOUT",
            `ZooKeeper ${what} ${path}: no answer in ${timeoutMs} ms`,
            path,
          ),
        ),
      timeoutMs,
    );
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      start(finish);
    } catch (err) {
      // Invalid paths and arguments are thrown synchronously by the library.
      finish(new ZookeeperError("BAD_ARGUMENTS", `ZooKeeper ${what} ${path}: ${err}`, path));
    }
  });
}

function _toError(what: string, path: string, err: unknown): Error {
  if (err instanceof ZookeeperError) return err;
  const e = err as { name?: string; code?: unknown; getName?: () => string };
  if (typeof e?.getName === "function" && typeof e.code === "number") {
    const code = e.getName();
    return new ZookeeperError(code, `ZooKeeper ${what} ${path}: ${code}`, path, { cause: err });
  }
  return new ZookeeperError("SYSTEM_ERROR", `ZooKeeper ${what} ${path}: ${err}`, path, {
    cause: err,
  });
}
