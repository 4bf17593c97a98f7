import assert from "node:assert/strict";
import calculateSlot from "cluster-key-slot";
import { FrontierLayout } from "./layout.ts";
import { isForeignScore, PRIORITY_SCALE, priorityFromScore } from "./queue.ts";

Deno.test("one shard keeps Scrapy Cluster's key names", () => {
  const shard = new FrontierLayout(1).of("example.com");
  assert.equal(shard.queue("link", "example.com"), "link:example.com:queue");
  assert.equal(shard.index("link"), "link:queue_index");
  assert.equal(shard.blacklist("link"), "link:blacklist");
  assert.equal(shard.dupefilter("link", "c1"), "link:dupefilter:c1");
  assert.equal(
    shard.throttleWindow("link:1.2.3.4:example.com"),
    "link:1.2.3.4:example.com:throttle_window",
  );
});

Deno.test("sharded keys of one domain share a slot, and shards spread over the slot range", () => {
  const layout = new FrontierLayout(16);
  const shard = layout.of("example.com");
  const keys = [
    shard.queue("link", "example.com"),
    shard.backlog("link", "example.com"),
    shard.index("link"),
    shard.leases("link"),
    shard.blacklist("link"),
    shard.dupefilter("link", "c1"),
    shard.throttleTime("link:example.com"),
  ];
  assert.equal(new Set(keys.map((k) => calculateSlot(k))).size, 1);
  // Shard i lands in the i-th sixteenth of the slots: an even split over the masters.
  layout.shards.forEach((s, i) => {
    const slot = calculateSlot(s.index("link"));
    assert.ok(slot >= (i * 16384) / 16 && slot < ((i + 1) * 16384) / 16, `shard ${i}: ${slot}`);
  });
  // Domains spread over every shard.
  const used = new Set(Array.from({ length: 500 }, (_, i) => layout.of(`d${i}.com`).id));
  assert.equal(used.size, 16);
});

Deno.test("untag() finds a key's shard; keys of another layout are not its own", () => {
  const layout = new FrontierLayout(4);
  const shard = layout.of("a.com");
  assert.deepEqual(layout.untag(shard.queue("link", "a.com")), {
    shard,
    name: "link:a.com:queue",
  });
  assert.equal(layout.untag("link:a.com:queue"), null);
  assert.equal(layout.untag("{other}link:a.com:queue"), null);
  assert.equal(new FrontierLayout(1).untag(shard.queue("link", "a.com")), null);
  assert.throws(() => new FrontierLayout(0), RangeError);
});

Deno.test("priorityFromScore() reads our scores and Scrapy Cluster's -priority", () => {
  for (const priority of [100, 1, 0, -9]) {
    assert.equal(priorityFromScore(-priority), priority, "Scrapy Cluster's score");
    assert.ok(isForeignScore(-priority));
    for (const seq of [2 ** 20, 2 ** 35, PRIORITY_SCALE - 2 ** 20 - 1]) {
      const ours = -priority * PRIORITY_SCALE + seq;
      assert.equal(priorityFromScore(ours), priority);
      assert.equal(isForeignScore(ours), false);
    }
  }
});
