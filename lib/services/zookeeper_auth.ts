/**
 * ZooKeeper digest authentication and the domain-config node's ACL.
 *
 * `ZOOKEEPER_AUTH=user:password` makes a client authenticate with the `digest` scheme
 * (`connectZookeeper`'s `auth`; every component that talks to ZooKeeper has the setting). ZooKeeper never refuses a digest: a wrong
 * password is simply another identity, found out when a write is refused (`NO_AUTH`). So the
 * writer checks the node's ACL itself ({@linkcode checkConfigWriter}) and says in one line who
 * may write it.
 *
 * The redis-monitor, the only writer of the domain config, creates the node and the parents it
 * creates with {@linkcode configNodeAcl}: its own identity may do everything, anyone may read
 * (the config — throttles and blacklist — is not secret, and crawlers need no credentials to read
 * it). A config node it finds fully open (`world:anyone:cdrwa`, e.g. created by a crawler of an
 * unsecured cluster) it closes the same way.
 *
 * @module
 */

import { createHash } from "node:crypto";
import zookeeper from "node-zookeeper-client";
import type { ACL } from "node-zookeeper-client";
import { optStr } from "../config/parsers.ts";
import { type Client, ZookeeperError } from "./zookeeper.ts";
import { getAcl, setAcl } from "./zookeeper_nodes.ts";

/** The setting, shared by the redis-monitor and the crawler. */
export const ZOOKEEPER_AUTH_SETTINGS = {
  ZOOKEEPER_AUTH: optStr(
    "user:password for ZooKeeper digest auth (none: anonymous); the redis-monitor's identity " +
      "is the only one that may write the domain config it creates",
  ),
};

/** A parsed `ZOOKEEPER_AUTH`. */
export interface ZookeeperAuth {
  user: string;
  password: string;
}

/** Parses `user:password`; throws one line naming the setting when it is not that shape. */
export function parseZookeeperAuth(value: string | null | undefined): ZookeeperAuth | null {
  if (!value) return null;
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1) {
    throw new Error("Cannot use ZOOKEEPER_AUTH: expected user:password (digest scheme)");
  }
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** The id ZooKeeper gives a digest identity: `user:base64(sha1(user:password))`. */
export function digestId(auth: ZookeeperAuth): string {
  const hash = createHash("sha1").update(`${auth.user}:${auth.password}`, "utf8").digest("base64");
  return `${auth.user}:${hash}`;
}

/** The config node's ACL: `digest:<writer>:cdrwa` and `world:anyone:r`. */
export function configNodeAcl(writer: ZookeeperAuth): ACL[] {
  const { ACL, Id, Permission } = zookeeper;
  return [
    new ACL(Permission.ALL, new Id("digest", digestId(writer))),
    new ACL(Permission.READ, new Id("world", "anyone")),
  ];
}

/** `scheme:id:perms` of an ACL, as ZooKeeper's CLI writes it (`world:anyone:r`). */
export function describeAcl(acl: readonly ACL[]): string {
  const letters: [number, string][] = [[4, "c"], [8, "d"], [1, "r"], [2, "w"], [16, "a"]];
  return acl.map((a) =>
    `${a.id.scheme}:${a.id.id}:${
      letters.filter(([bit]) => _perms(a) & bit).map(([, l]) => l).join("")
    }`
  ).join(", ");
}

/** An ACL entry's permission bits (the library names them `permission`; its types, `perms`). */
function _perms(acl: ACL): number {
  return (acl as unknown as { permission: number }).permission;
}

function _isOpen(acl: readonly ACL[]): boolean {
  return acl.some((a) =>
    a.id.scheme === "world" && a.id.id === "anyone" &&
    (_perms(a) & zookeeper.Permission.ALL) === zookeeper.Permission.ALL
  );
}

/**
 * Makes sure `writer` may write the existing node at `path`: a fully open node gets
 * {@linkcode configNodeAcl}; a node whose ACL does not let `writer` write throws a
 * {@linkcode ZookeeperError} `NO_AUTH` saying who may (so a wrong password is named at once,
 * not at the first refused write).
 */
export async function checkConfigWriter(
  client: Client,
  path: string,
  writer: ZookeeperAuth,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const acl = await getAcl(client, path, opts);
  if (_isOpen(acl)) {
    await setAcl(client, path, configNodeAcl(writer), opts);
    return;
  }
  const id = digestId(writer);
  const writes = acl.some((a) =>
    (_perms(a) & zookeeper.Permission.WRITE) !== 0 &&
    ((a.id.scheme === "digest" && a.id.id === id) ||
      (a.id.scheme === "world" && a.id.id === "anyone"))
  );
  if (!writes) {
    throw new ZookeeperError(
      "NO_AUTH",
      `ZooKeeper ${path}: ZOOKEEPER_AUTH user '${writer.user}' may not write it (ACL ` +
        `${describeAcl(acl)}); wrong password, or another identity created it`,
      path,
    );
  }
}
