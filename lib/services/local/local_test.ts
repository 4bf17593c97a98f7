import assert from "node:assert/strict";
import { serverProperties } from "./kafka_server.ts";
import { freePort, portInUse, which } from "./paths.ts";
import { logContains, startServer, tail, waitUntilReady } from "./process.ts";

Deno.test("serverProperties() configures a single-node KRaft broker on loopback", () => {
  const props = serverProperties(1234, 1235, "/tmp/d");
  assert.match(
    props,
    /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:1234,CONTROLLER:\/\/127\.0\.0\.1:1235$/m,
  );
  assert.match(props, /^controller\.quorum\.voters=1@127\.0\.0\.1:1235$/m);
  assert.match(props, /^offsets\.topic\.num\.partitions=1$/m);
  assert.match(props, /^log\.dirs=\/tmp\/d$/m);
});

Deno.test("freePort() hands out a port nobody listens on", async () => {
  const port = freePort();
  assert.ok(port > 0);
  assert.equal(await portInUse(port), false);
  assert.ok(which("sh"));
  assert.equal(which("definitely-not-a-command-xyz"), null);
});

Deno.test("waitUntilReady() fails with the log's tail when the server exits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const proc = await startServer(
      "Fake",
      "sh",
      ["-c", "echo booting; echo broken config; exit 3"],
      {
        logPath: `${dir}/fake.log`,
      },
    );
    await assert.rejects(
      () => waitUntilReady(proc, () => false, { timeoutMs: 5_000 }),
      (err: Error) => {
        assert.match(err.message, /^Cannot start Fake: it exited with code 3/);
        assert.match(err.message, /broken config/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer() output reaches the log and stop() ends the process", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/s.log`;
    const proc = await startServer("Sleeper", "sh", ["-c", "echo ready; exec sleep 30"], {
      logPath,
    });
    await waitUntilReady(proc, () => logContains(logPath, /ready/), { timeoutMs: 5_000 });
    await proc.stop(2_000);
    assert.equal(tail(logPath, 1), "ready");
    assert.throws(() => Deno.kill(proc.pid, "SIGCONT"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
