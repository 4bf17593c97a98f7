/**
 * The minimal Redis ACL of each component: the keys it touches and the commands it sends, as
 * `ACL SETUSER` rules, so the README, operators and the tests use one text.
 *
 * Derived from the code (every `redis.<command>(`, pipeline and `commandBatch` call, `scanKeys`
 * = SCAN) and from the Lua scripts: a script runs with its caller's permissions, so each
 * `redis.call` in `lib/frontier/lua`, `lib/api/lua` and the webhook's scripts, and each key it
 * touches, is in the rule of the component that runs it. Scripts go as EVALSHA, and EVAL once
 * per connection on NOSCRIPT (ioredis); the webhook sends EVAL. Every connection also sends
 * `CLIENT SETNAME` (the connection name in `CLIENT LIST`), `INFO` (ioredis's ready check; refused,
 * ioredis warns on every connect), `PING` (the start-up check) and `SELECT` when `REDIS_DB` is
 * not 0. `AUTH`, `HELLO` and `QUIT` need no permission. A Redis Cluster client also sends
 * `CLUSTER SLOTS`, `CLUSTER INFO` and `ASKING` (while slots move).
 *
 * Keys: given the spider ids (`spiderids`), a spider's keys are `<spiderid>:*` (queues, index,
 * leases, dupefilters, blacklist, cookies, page counters, throttle keys with
 * `SCHEDULER_TYPE_ENABLED`) and `<spiderid>@*` (tagged queue families); on Redis Cluster every
 * frontier key starts with its shard's hash tag (`{f3-17}<spiderid>:…`). Without spider ids the
 * same keys are named by their endings (`*:queue`, `*:leases`, …), which any spider id matches.
 * With `SCHEDULER_TYPE_ENABLED=false` the throttle keys (`[<ip>:]<domain>:throttle_window`) do
 * not start with a spider id: the crawler then needs `~*:throttle_window ~*:throttle_time`
 * ({@linkcode ComponentAclOptions.throttleByType}).
 *
 * SCAN is not limited by key patterns (Redis lists every key name to a user who may SCAN); only
 * the redis-monitor and the kafka-monitor (its stats dump) send it.
 *
 * @module
 */

/** A component that talks to Redis. */
export type RedisComponent = "crawler" | "kafka-monitor" | "redis-monitor" | "rest" | "webhook";

/** Every component that talks to Redis. */
export const REDIS_COMPONENTS: readonly RedisComponent[] = [
  "crawler",
  "kafka-monitor",
  "redis-monitor",
  "rest",
  "webhook",
];

/** Options of {@linkcode componentAcl}. */
export interface ComponentAclOptions {
  /** The spider ids the component serves; none: the keys of any spider id. */
  spiderids?: readonly string[];
  /** Redis Cluster: the `{f…}` shard tags of frontier keys, and the cluster commands. */
  cluster?: boolean;
  /**
   * `SCHEDULER_TYPE_ENABLED` of the crawlers: when false their throttle keys do not start with
   * the spider id and the crawler's rule adds `~*:throttle_window ~*:throttle_time`.
   * @default {true}
   */
  throttleByType?: boolean;
}

/** What every connection sends (see the module doc). */
const CONNECTION = ["ping", "info", "client|setname", "select"];
const CLUSTER = ["cluster|slots", "cluster|info", "asking"];
/** A statistics writer (`redisStatsWriter`) and a heartbeat (`startHeartbeat`). */
const STATS_WRITE = ["hincrby", "hdel", "expire", "incrby", "set", "del"];
/** Reading stats keys (`componentStats`, `readStatsKeys`): SCAN, then GET or HGETALL. */
const STATS_READ = ["scan", "get", "hgetall"];
/** `deno task health <component>` (components/health): SCAN for its heartbeat, GET it. */
const HEALTH = ["scan", "get"];
/** Scripts (ioredis: EVALSHA, EVAL on NOSCRIPT). */
const SCRIPTS = ["evalsha", "eval"];
/** What `_scores.lua` calls; it is inlined into every frontier script. */
const LUA_SCORES = ["hdel", "hincrby", "incr", "zadd", "zrangebyscore"];
/** enqueue.lua; it PUBLISHes new work on `crawl_cluster:work:<spiderid>` (see channels()). */
const LUA_ENQUEUE = ["expire", "get", "incr", "publish", "sadd", "set", "sismember", "zadd"];
const LUA_POP = [
  "del",
  "exists",
  "expire",
  "get",
  "hset",
  "incr",
  "set",
  "sismember",
  "time",
  "zadd",
  "zcard",
  "zcount",
  "zpopmin",
  "zrange",
  "zrem",
  "zremrangebyscore",
  "zscore",
];
const LUA_PUTBACK = ["hdel", "zadd", "zrem"];
const LUA_PURGE = ["del", "exists", "zrem", "zscore"];
const LUA_ADOPT = ["del", "hset", "hvals", "zadd", "zcard", "zcount", "zrange", "zrem"];
/** `lib/api/lua`: job locks and job finishing. */
const LUA_JOBS = ["del", "get", "scard", "srem", "zrem", "pexpire"];
/** The webhook's scripts (`components/webhook/hook_redis.ts`). */
const LUA_WEBHOOK = ["time", "get", "set", "del", "ltrim", "llen"];

/** The commands of each component: its own calls, plus what its scripts call. */
const COMMANDS: Record<RedisComponent, readonly string[]> = {
  crawler: [
    ...HEALTH,
    ...SCRIPTS,
    ...LUA_SCORES,
    ...LUA_ENQUEUE,
    "subscribe", // new-work announcements (pipeline/work_signal.ts)
    ...LUA_POP,
    ...LUA_PUTBACK,
    ...STATS_WRITE,
    // frontier reads and lease upkeep (pop.ts, leases.ts, families.ts, queue.ts)
    "zrangebyscore",
    "zrange",
    "zrem",
    "zadd",
    "hgetall",
    "exists",
    "smembers",
    "sadd",
    // shard count (layout.ts: SET NX, GET)
    "set",
    "get",
    // robots.txt cache (MULTI GET PTTL, SET NX PX lock, INCR + EXPIRE failures)
    "multi",
    "exec",
    "pttl",
    "incr",
    "del",
    // cookies (HVALS; MULTI HSET/HDEL EXPIRE) and refused requests (HINCRBY)
    "hvals",
    "hset",
    // robots.txt delay: Redis's clock
    "time",
    // crawl progress (lib/api/progress_recorder.ts: HINCRBY + EXPIRE, recent failures list)
    "lpush",
    "ltrim",
  ],
  "kafka-monitor": [
    ...SCRIPTS,
    ...LUA_SCORES,
    ...LUA_ENQUEUE,
    ...STATS_WRITE,
    ...STATS_READ,
    // jobs (addJob: SADD + EXPIRE waiters, SET job, ZADD index); tag families; shard count
    "sadd",
    "expire",
    "set",
    "zadd",
    "get",
    // feed --watch (lib/api/progress.ts): a crawl's counters, its refusals, its backlog
    "hmget",
    "hgetall",
    "smembers",
    "zrange",
  ],
  "redis-monitor": [
    ...SCRIPTS,
    ...LUA_SCORES,
    ...LUA_PURGE,
    ...LUA_ADOPT,
    ...LUA_JOBS,
    ...STATS_WRITE,
    ...STATS_READ,
    // jobs and locks (jobs.ts, monitor.ts)
    "zrangebyscore",
    "zadd",
    "zrem",
    "exists",
    "set",
    "incr",
    "multi",
    "exec",
    "smembers",
    "mget", // job keys written without the index (indexUnlistedJobs: SCAN, MGET)
    // info, stop, expire (backlog.ts, purge.ts, families.ts), stats (reader.ts)
    "zrange",
    "zcard",
    "zscan",
    "sadd",
    // webhook-add/remove/list (lib/api/webhooks.ts)
    "hset",
    "hget",
    "hlen",
    "srem",
    "llen",
  ],
  rest: [
    ...STATS_WRITE,
    "getdel",
    "set",
    // the dashboard's state (components/rest/ui_state.ts, lib/api/progress.ts): discovery by
    // SCAN, heartbeats (MGET) and stats, the frontier's index and counters, progress, failures
    "scan",
    "get",
    "mget",
    "hgetall",
    "hmget",
    "zrange",
    "smembers",
    "lrange",
  ],
  webhook: [
    ...HEALTH,
    ...LUA_WEBHOOK,
    ...STATS_WRITE,
    "eval",
    // hooks and their state (lib/api/webhooks.ts)
    "smembers",
    "hgetall",
    "multi",
    "exec",
    "hset",
    "hget",
    // parked items
    "rpush",
    "lrange",
    "llen",
  ],
};

/** A glob (ACL key pattern) matching `text` literally. */
function literal(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/** Endings of the frontier's per-spider keys (`lib/frontier/keys.ts`, `families.ts`). */
const SPIDER_KEY_ENDINGS = [
  "*:queue",
  "*:backlog",
  "*:queue_index",
  "*:queue_seq",
  "*:leases",
  "*:lease_holders",
  "*:pop_seq",
  "*:blacklist",
  "*:tag_families",
  "*:dupefilter:*",
  "*:cookies:*",
  "*:domain_max_page_filter:*",
  "*:global_page_count_filter:*",
  "*:throttle_window",
  "*:throttle_time",
];

/** The frontier keys the dashboard reads: each shard's index, the counters, the tag families. */
const DASHBOARD_ENDINGS = ["*:queue_index", "*:backlog", "*:tag_families"];

/** Key patterns of the spiders' keys (tagged families and shard tags included). */
function spiderKeys(opts: ComponentAclOptions): string[] {
  if (!opts.spiderids?.length) return SPIDER_KEY_ENDINGS;
  return opts.spiderids.flatMap((id) => {
    if (!id || /[:*\s]/.test(id)) throw new RangeError(`not a spider id: '${id}'`);
    const own = [`${literal(id)}:*`, `${literal(id)}@*`];
    return opts.cluster ? [...own, ...own.map((p) => `{f*}${p}`)] : own;
  });
}

/** `<prefix>:<spiderid>:*` per spider id, or `<prefix>:*` for any. */
function perSpider(prefix: string, opts: ComponentAclOptions): string[] {
  if (!opts.spiderids?.length) return [`${prefix}:*`];
  return opts.spiderids.map((id) => `${prefix}:${literal(id)}:*`);
}

/** Read-write key patterns of each component (`%R~` patterns are in {@linkcode readOnlyKeys}). */
function keys(component: RedisComponent, opts: ComponentAclOptions): string[] {
  const shards = "crawl_cluster:frontier_shards"; // SET NX by whoever starts first
  switch (component) {
    case "crawler":
      return [
        ...spiderKeys(opts),
        ...(opts.throttleByType === false && opts.spiderids?.length
          ? ["*:throttle_window", "*:throttle_time"]
          : []),
        ...perSpider("backlog", opts), // refused requests, for info answers
        ...perSpider("progress", opts), // a crawl's downloads, for the dashboard and feed --watch
        ...(opts.spiderids?.length ? ["progress:failures"] : []), // recent failures list
        "robots:*",
        "stats:crawler:*", // stats, heartbeats (its own; others' read for lease reclaim)
        shards,
      ];
    case "kafka-monitor":
      return [
        ...spiderKeys(opts),
        ...perSpider("timeout", opts),
        ...perSpider("info", opts),
        ...perSpider("stop", opts),
        "statsrequest:*",
        "zk:*",
        "webhook:*",
        "waiting:*",
        "jobs:index",
        "stats:kafka-monitor:*",
        shards,
      ];
    case "redis-monitor":
      return [
        ...spiderKeys(opts),
        ...perSpider("timeout", opts),
        ...perSpider("backlog", opts),
        ...perSpider("info", opts),
        ...perSpider("stop", opts),
        "statsrequest:*",
        "zk:*",
        "webhook:*",
        "webhooks:*",
        "webhook-hook:*",
        "lock:*",
        "waiting:*",
        "jobs:index",
        "stats:redis-monitor:*",
        shards,
      ];
    case "rest":
      return ["rest:poll:*", "stats:rest:*", shards];
    case "webhook":
      return ["webhook-hook:*", "stats:webhook:*"];
  }
}

/**
 * Pub/sub channels: the enqueue script announces new work (`lib/frontier/keys.ts` workChannel)
 * and idle crawlers subscribe to it (components/crawler/pipeline/work_signal.ts); crawlers also
 * announce the cookie jars they store into (cookieChannel, pipeline/recent_keys.ts).
 */
function channels(component: RedisComponent, opts: ComponentAclOptions): string[] {
  if (component !== "crawler" && component !== "kafka-monitor") return [];
  const kinds = component === "crawler" ? ["work", "cookies"] : ["work"];
  if (!opts.spiderids?.length) return kinds.map((kind) => `crawl_cluster:${kind}:*`);
  return kinds.flatMap((kind) =>
    opts.spiderids!.map((id) => `crawl_cluster:${kind}:${literal(id)}`)
  );
}

/** Keys a component only reads. */
function readOnlyKeys(component: RedisComponent, opts: ComponentAclOptions): string[] {
  switch (component) {
    case "kafka-monitor":
      // `feed --watch` runs with the kafka-monitor's settings: a crawl's progress and refusals.
      return [...perSpider("progress", opts), ...perSpider("backlog", opts)];
    case "redis-monitor":
      return ["stats:*"]; // stats answers: every component's stats, crawler heartbeats
    case "webhook":
      return ["webhooks:*"]; // the registered hooks (the redis-monitor writes them)
    case "rest":
      // the dashboard: every component's stats and heartbeats, the frontier's index, counters
      // and families, crawls' progress and refusals, recent failures
      return [
        "stats:*",
        ...(opts.spiderids?.length ? spiderKeys(opts) : DASHBOARD_ENDINGS),
        ...perSpider("progress", opts),
        ...perSpider("backlog", opts),
        "progress:failures",
      ];
    default:
      return [];
  }
}

/**
 * The ACL rule of `component` (key patterns, no channels, commands), without user name and
 * password: `resetchannels ~robots:* … %R~… +ping +info …`.
 */
export function componentAcl(component: RedisComponent, opts: ComponentAclOptions = {}): string {
  const own = [...new Set(COMMANDS[component])].filter((c) => !CONNECTION.includes(c)).sort();
  const commands = [...CONNECTION, ...(opts.cluster ? CLUSTER : []), ...own];
  return [
    "resetchannels",
    ...channels(component, opts).map((c) => `&${c}`),
    ...[...new Set(keys(component, opts))].map((p) => `~${p}`),
    ...readOnlyKeys(component, opts).map((p) => `%R~${p}`),
    "-@all",
    ...commands.map((c) => `+${c}`),
  ].join(" ");
}

/**
 * A whole user: `<user> reset on ><password> <rule>`, for `ACL SETUSER` (prefix it) or a
 * redis.conf / `--user` line.
 */
export function aclUser(user: string, password: string, rule: string): string {
  if (/\s/.test(user) || /\s/.test(password)) {
    throw new RangeError("ACL user names and passwords cannot contain spaces");
  }
  return `${user} reset on >${password} ${rule}`;
}
