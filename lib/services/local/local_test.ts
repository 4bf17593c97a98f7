import assert from "node:assert/strict";
import { randomClusterId, serverProperties } from "./kafka_server.ts";
import { freePort, portInUse, which } from "./paths.ts";
import { logContains, logSize, startServer, tail, waitUntilReady } from "./process.ts";
import { startRedis } from "./redis_server.ts";
import { startRestartable } from "./restartable.ts";

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

Deno.test("logContains() with fromByte ignores what an earlier run wrote", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/s.log`;
    assert.equal(logSize(logPath), 0);
    await Deno.writeTextFile(logPath, "old run: Ready\n");
    const offset = logSize(logPath);
    assert.equal(logContains(logPath, /Ready/), true);
    assert.equal(logContains(logPath, /Ready/, offset), false);
    await Deno.writeTextFile(logPath, "new run: Ready\n", { append: true });
    assert.equal(logContains(logPath, /new run: Ready/, offset), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startRestartable() kills, restarts and stops a server started by the same call", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/s.log`;
    let starts = 0;
    const start = async () => {
      const from = logSize(logPath);
      const proc = await startServer("Sleeper", "sh", ["-c", "echo ready; exec sleep 30"], {
        logPath,
      });
      starts++;
      await waitUntilReady(proc, () => logContains(logPath, /ready/, from), {
        timeoutMs: 5_000,
      });
      return proc;
    };
    const server = await startRestartable(start);
    const first = server.process!;
    const times = await server.restart({ kill: true, downMs: 100 });
    assert.equal(await first.exited, 137, "SIGKILLed");
    assert.ok(times.upAt - times.downAt >= 100);
    assert.notEqual(server.process!.pid, first.pid);
    assert.equal(starts, 2);
    await server.stop(2_000);
    assert.equal(server.process, null);
    assert.equal(tail(logPath, 5), "ready\nready");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "startRedis() with appendOnly keeps its data across a stop and a start on the same folder",
  ignore: !which("redis-server"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const send = async (cmd: string) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(new TextEncoder().encode(cmd));
        const buf = new Uint8Array(256);
        const n = await conn.read(buf);
        return new TextDecoder().decode(buf.subarray(0, n ?? 0));
      } finally {
        conn.close();
      }
    };
    try {
      const redis = await startRestartable(() => startRedis(port, dir, { appendOnly: true }));
      assert.equal(await send("SET chaos kept\r\n"), "+OK\r\n");
      await redis.restart({ downMs: 200 });
      assert.equal(await send("GET chaos\r\n"), "$4\r\nkept\r\n");
      await redis.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("randomClusterId() never starts with '-', which the storage tool would take for an option", () => {
  for (let i = 0; i < 5_000; i++) {
    const id = randomClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
