import assert from "node:assert/strict";
import { loadSettings } from "../../lib/config/mod.ts";
import { feedTopic, REST_SETTINGS } from "./settings.ts";

const topicFrom = (env: Record<string, string>) => feedTopic(loadSettings(REST_SETTINGS, { env }));

Deno.test("feedTopic() is KAFKA_INCOMING_TOPIC when KAFKA_PRODUCER_TOPIC is unset", () => {
  assert.equal(topicFrom({}), "demo.incoming");
  assert.equal(topicFrom({ KAFKA_INCOMING_TOPIC: "ours.incoming" }), "ours.incoming");
});

Deno.test("feedTopic() takes Scrapy Cluster's KAFKA_PRODUCER_TOPIC, which wins when both are set", () => {
  assert.equal(topicFrom({ KAFKA_PRODUCER_TOPIC: "sc.incoming" }), "sc.incoming");
  assert.equal(
    topicFrom({ KAFKA_PRODUCER_TOPIC: "sc.incoming", KAFKA_INCOMING_TOPIC: "ours.incoming" }),
    "sc.incoming",
  );
});

Deno.test("a Scrapy Cluster rest settings file naming KAFKA_PRODUCER_TOPIC loads", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/localsettings.json`;
    Deno.writeTextFileSync(file, JSON.stringify({ KAFKA_PRODUCER_TOPIC: "old.incoming" }));
    assert.equal(feedTopic(loadSettings(REST_SETTINGS, { file })), "old.incoming");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
