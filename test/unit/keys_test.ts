import assert from "node:assert/strict";
import * as frontierKeys from "../../lib/frontier/keys.ts";
import * as jobKeys from "../../lib/api/job_keys.ts";
import * as statsKeys from "../../lib/stats/keys.ts";
import { restPollKey } from "../../components/rest/polls.ts";

/** Every key name of the cluster, whichever package builds it (Scrapy Cluster's formats). */
const keys = { ...frontierKeys, ...jobKeys, ...statsKeys, restPollKey };

Deno.test("queueKey() follows Scrapy Cluster's <spiderid>:<domain>:queue", () => {
  assert.equal(keys.queueKey("link", "example.com"), "link:example.com:queue");
});

Deno.test("parseQueueKey() inverts queueKey(), also for bracketed IPv6 domains", () => {
  for (const domain of ["example.com", "127.0.0.1", "[::1]", "localhost"]) {
    assert.deepEqual(keys.parseQueueKey(keys.queueKey("link", domain)), {
      spiderid: "link",
      domain,
    });
  }
  assert.equal(keys.parseQueueKey("link:queue_index"), null);
  assert.equal(keys.parseQueueKey("link::queue"), null);
  assert.equal(keys.parseQueueKey("stats:crawler:x"), null);
});

Deno.test("our additions never parse as queue keys", () => {
  for (
    const key of [keys.queueIndexKey("link"), keys.queueSeqKey("link"), keys.leasesKey("link")]
  ) {
    assert.equal(keys.parseQueueKey(key), null);
  }
});

Deno.test("throttleKey() builds the four throttle styles", () => {
  assert.equal(keys.throttleKey("ex.com"), "ex.com");
  assert.equal(keys.throttleKey("ex.com", { spiderid: "link" }), "link:ex.com");
  assert.equal(keys.throttleKey("ex.com", { ip: "1.2.3.4" }), "1.2.3.4:ex.com");
  assert.equal(
    keys.throttleWindowKey(keys.throttleKey("ex.com", { spiderid: "link", ip: "1.2.3.4" })),
    "link:1.2.3.4:ex.com:throttle_window",
  );
  assert.equal(keys.throttleTimeKey("ex.com"), "ex.com:throttle_time");
});

Deno.test("job keys match the redis-monitor's patterns", () => {
  assert.equal(keys.actionKey("info", "link", "app"), "info:link:app");
  assert.equal(keys.actionKey("stop", "link", "app", "c1"), "stop:link:app:c1");
  assert.equal(keys.statsRequestKey("all", "app"), "statsrequest:all:app");
  assert.equal(
    keys.zookeeperJobKey("domain-update", "ex.com", "app"),
    "zk:domain-update:ex.com:app",
  );
  assert.equal(keys.timeoutKey("link", "app", "c1"), "timeout:link:app:c1");
  assert.equal(keys.lockKey("info:link:app"), "lock:info:link:app");
  assert.equal(keys.lockFailuresKey("info:link:app"), "lock:info:link:app:failures");
});

Deno.test("stats and heartbeat keys use Scrapy Cluster's layout", () => {
  assert.equal(keys.statsKey("kafka-monitor", "total", 900), "stats:kafka-monitor:total:900");
  assert.equal(keys.heartbeatKey("rest", "h1", "abc"), "stats:rest:self:h1:abc");
  assert.equal(keys.crawlerHeartbeatKey("h1", "link", "abc"), "stats:crawler:h1:link:abc");
  assert.equal(keys.blacklistMember("app", "c1"), "app||c1");
  assert.equal(keys.restPollKey("u1"), "rest:poll:u1");
  assert.equal(keys.dupefilterKey("link", "c1"), "link:dupefilter:c1");
});
