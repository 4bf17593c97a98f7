/**
 * One intake contract: the same list of good and bad requests goes through REST `/feed` (the
 * real handler, with REST's default settings) and through the classifier as the kafka-monitor
 * builds it (its default settings), and both must give the same verdict for the same cause.
 */

import assert from "node:assert/strict";
import { loadSettings } from "../../lib/config/mod.ts";
import { createIntakeClassifier } from "../../lib/api/mod.ts";
import { KAFKA_MONITOR_SETTINGS } from "../../components/kafka-monitor/settings.ts";
import { REST_SETTINGS } from "../../components/rest/settings.ts";
import { AnswerWaiters } from "../../components/rest/answers.ts";
import { createApp } from "../../components/rest/app.ts";
import { BUILTIN_PLUGINS, crawl, INTAKE_CASES } from "../intake_cases.ts";

function restApp() {
  const settings = {
    ...loadSettings(REST_SETTINGS, { env: {} }),
    WAIT_FOR_RESPONSE_TIME: 0.01,
  };
  return createApp({
    settings,
    plugins: BUILTIN_PLUGINS,
    feeder: { connected: true, send: () => Promise.resolve() },
    answers: new (class {
      connected = true;
      readonly waiters = new AnswerWaiters();
      expect(uuid: string) {
        return this.waiters.expect(uuid);
      }
    })(),
    polls: { connected: true, take: () => Promise.resolve(null) },
  });
}

Deno.test("REST /feed and the kafka-monitor accept and refuse the same requests for the same causes", async () => {
  const app = restApp();
  const kafka = createIntakeClassifier(
    BUILTIN_PLUGINS,
    loadSettings(KAFKA_MONITOR_SETTINGS, { env: {} }),
  );
  for (const [what, raw, accepted] of INTAKE_CASES) {
    const res = await app(
      new Request("http://localhost:5343/feed", {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json" },
      }),
    );
    const body = await res.json();
    const verdict = kafka.classifyMessage(raw);
    assert.equal(
      verdict.ok,
      accepted,
      `kafka-monitor: ${what}: ${JSON.stringify(verdict).slice(0, 300)}`,
    );
    assert.equal(
      res.status === 200,
      accepted,
      `REST: ${what}: ${JSON.stringify(body).slice(0, 300)}`,
    );
    if (!verdict.ok) assert.equal(body.error?.cause, verdict.cause, `same cause: ${what}`);
  }
});

Deno.test("REST /feed refuses above the kafka-monitor's MAX_REQUEST_BYTES with 413", async () => {
  const app = restApp();
  const raw = crawl({ attrs: { x: "x".repeat(300 * 1024) } });
  const res = await app(
    new Request("http://localhost:5343/feed", {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json" },
    }),
  );
  assert.equal(res.status, 413);
  const { error } = await res.json();
  assert.match(error.cause, /^message of \d+ bytes exceeds the limit of 262144 bytes$/);
});
