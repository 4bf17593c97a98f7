import assert from "node:assert/strict";
import { eventually } from "../../test/harness.ts";
import { type ComponentEvent, defaultBackoffMs, superviseComponent } from "./supervisor.ts";
import { fake, fakeProcesses } from "./testdata/fakes.ts";

Deno.test("defaultBackoffMs() doubles from 1 s up to 30 s", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 50].map(defaultBackoffMs),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
});

Deno.test("`superviseComponent()` prefixes stdout and stderr lines with the padded name", async () => {
  const lines: string[] = [];
  const c = superviseComponent(fake("ready.ts"), {
    env: { REDIS_URL: "redis://example:1/0" },
    write: (line) => lines.push(line),
    prefixWidth: 6,
  });
  // The unended last line is held back until more output or the end comes.
  await eventually(() => lines.includes("fake   | second") || undefined, { what: "output" });
  assert.ok(c.pid !== null);
  assert.equal(await c.stop(), "stopped");
  assert.equal(c.pid, null);
  assert.deepEqual(lines.toSorted(), [
    "fake   | a line on stderr",
    "fake   | bye",
    "fake   | first",
    "fake   | no newline at the end",
    "fake   | ready REDIS_URL=redis://example:1/0",
    "fake   | second",
  ]);
  // stdout keeps its order.
  const stdout = lines.filter((l) => !l.includes("stderr"));
  assert.deepEqual(stdout.slice(-2), ["fake   | no newline at the end", "fake   | bye"]);
  assert.equal(await fakeProcesses(), "");
});

Deno.test("`superviseComponent()` restarts a crashed component with backoff", async () => {
  const events: ComponentEvent[] = [];
  const times: number[] = [];
  const lines: string[] = [];
  const c = superviseComponent(fake("crash.ts", ["3"]), {
    write: (line) => lines.push(line),
    backoffMs: (attempt) => attempt * 100,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "started") times.push(performance.now());
    },
  });
  await eventually(() => times.length >= 3 || undefined, { what: "two restarts" });
  await c.stop();
  const exits = events.filter((e) => e.type === "exited");
  assert.ok(exits.slice(0, 2).every((e) => e.type === "exited" && e.code === 3 && !e.expected));
  const restarts = events.filter((e) => e.type === "restarting");
  assert.deepEqual(
    restarts.slice(0, 2).map((e) => e.type === "restarting" && [e.attempt, e.delayMs]),
    [[1, 100], [2, 200]],
  );
  assert.ok(times[1] - times[0] >= 100, `first restart after ${times[1] - times[0]} ms`);
  assert.ok(times[2] - times[1] >= 200, `second restart after ${times[2] - times[1]} ms`);
  assert.ok(lines.filter((l) => l === "fake | crashing").length >= 2);
  assert.equal(await fakeProcesses(), "");
});

Deno.test("`superviseComponent()` gives up after maxRestarts crashes within the window", async () => {
  const events: ComponentEvent[] = [];
  const c = superviseComponent(fake("crash.ts"), {
    write: () => {},
    backoffMs: () => 10,
    maxRestarts: 3,
    onEvent: (e) => events.push(e),
  });
  assert.equal(await c.done, "gave-up");
  assert.deepEqual(
    events.map((e) => e.type),
    [
      ...["started", "exited", "restarting"],
      ...["started", "exited", "restarting"],
      ...["started", "exited", "restarting"],
      ...["started", "exited", "gave-up"],
    ],
  );
  assert.equal(await c.stop(), "gave-up");
});

Deno.test("`superviseComponent()` keeps restarting when crashes are spread out", async () => {
  let starts = 0;
  const c = superviseComponent(fake("crash.ts"), {
    write: () => {},
    backoffMs: () => 20,
    maxRestarts: 1,
    restartWindowMs: 10, // shorter than a start: no two restarts ever share a window
    onEvent: (e) => e.type === "started" && starts++,
  });
  await eventually(() => starts >= 4 || undefined, { what: "four starts" });
  assert.equal(await c.stop(), "stopped");
});

Deno.test("`superviseComponent()` stop() sends SIGTERM, then SIGKILL after the grace period", async () => {
  const lines: string[] = [];
  const events: ComponentEvent[] = [];
  const c = superviseComponent(fake("stubborn.ts"), {
    write: (line) => lines.push(line),
    onEvent: (e) => events.push(e),
  });
  await eventually(() => lines.includes("fake | ready") || undefined, { what: "ready" });
  const t0 = performance.now();
  assert.equal(await c.stop(300), "stopped");
  assert.ok(performance.now() - t0 >= 300);
  assert.ok(lines.includes("fake | ignoring SIGTERM"));
  const exit = events.find((e) => e.type === "exited");
  assert.ok(exit?.type === "exited" && exit.signal === "SIGKILL" && exit.expected);
  assert.equal(await fakeProcesses(), "");
});

Deno.test("`superviseComponent()` stop() during a backoff cancels the restart", async () => {
  let starts = 0;
  let waiting = false;
  const c = superviseComponent(fake("crash.ts"), {
    write: () => {},
    backoffMs: () => 60_000,
    onEvent: (e) => {
      if (e.type === "started") starts++;
      if (e.type === "restarting") waiting = true;
    },
  });
  await eventually(() => waiting || undefined, { what: "the backoff" });
  const t0 = performance.now();
  assert.equal(await c.stop(), "stopped");
  assert.ok(performance.now() - t0 < 1_000);
  assert.equal(starts, 1);
});

Deno.test("`superviseComponent()` kill() ends the component at once", async () => {
  const lines: string[] = [];
  const c = superviseComponent(fake("stubborn.ts"), { write: (line) => lines.push(line) });
  await eventually(() => lines.includes("fake | ready") || undefined, { what: "ready" });
  const t0 = performance.now();
  assert.equal(await c.kill(), "stopped");
  assert.ok(performance.now() - t0 < 1_000);
  assert.equal(await fakeProcesses(), "");
});
