import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  createKafka,
  ensureTopics,
  type Kafka,
  listTopics,
  produceOnce,
} from "../../lib/services/mod.ts";
import { randomName, serviceEnv } from "../harness.ts";
import {
  decodeBase64Text,
  dumpTopic,
  formatMessage,
  listTopicsText,
} from "../../components/kafkadump/dump.ts";

const CRAWLED = JSON.stringify({
  url: "http://a.com",
  body: btoa("<b>hi</b>"),
  encoding: "utf-8",
  status_code: 200,
});

/** UTF-8 text as standard base64. */
const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

// --- formatMessage() -------------------------------------------------------------------------

Deno.test("`formatMessage()` returns a JSON message exactly as it arrived without options", () => {
  const raw = '{"id":12345678901234567890123, "body":"x"}';
  assert.equal(formatMessage(raw), raw);
});

Deno.test("`formatMessage()` drops the body with noBody", () => {
  assert.equal(
    formatMessage(CRAWLED, { noBody: true }),
    '{"url":"http://a.com","encoding":"utf-8","status_code":200}',
  );
  assert.equal(formatMessage('{"a":1}', { noBody: true }), '{"a":1}');
});

Deno.test("`formatMessage()` prints only the body with justBody", () => {
  assert.equal(formatMessage(CRAWLED, { justBody: true }), btoa("<b>hi</b>"));
  assert.equal(formatMessage('{"body":{"a":[1]}}', { justBody: true }), '{"a":[1]}');
  assert.equal(formatMessage('{"body":null}', { justBody: true }), "null");
  // Without a body there is nothing to pick: the whole message is shown.
  assert.equal(formatMessage('{"a":1}', { justBody: true }), '{"a":1}');
  // justBody wins over noBody (the command line refuses the combination).
  assert.equal(formatMessage(CRAWLED, { justBody: true, noBody: true }), btoa("<b>hi</b>"));
});

Deno.test("`formatMessage()` indents by 4 spaces with pretty", () => {
  assert.equal(
    formatMessage('{"a":1,"b":[2]}', { pretty: true }),
    '{\n    "a": 1,\n    "b": [\n        2\n    ]\n}',
  );
  assert.equal(
    formatMessage(CRAWLED, { pretty: true, noBody: true }),
    '{\n    "url": "http://a.com",\n    "encoding": "utf-8",\n    "status_code": 200\n}',
  );
  assert.equal(
    formatMessage('{"body":{"a":1}}', { pretty: true, justBody: true }),
    '{\n    "a": 1\n}',
  );
});

Deno.test("`formatMessage()` decodes a base64 body with decodeBase64", () => {
  assert.equal(
    formatMessage(CRAWLED, { decodeBase64: true }),
    '{"url":"http://a.com","body":"<b>hi</b>","encoding":"utf-8","status_code":200}',
  );
  assert.equal(formatMessage(CRAWLED, { decodeBase64: true, justBody: true }), "<b>hi</b>");
  const intl = JSON.stringify({ body: base64("Grüße, 世界 🌍") });
  assert.equal(formatMessage(intl, { decodeBase64: true, justBody: true }), "Grüße, 世界 🌍");
  // Line-wrapped base64 (MIME style) decodes too.
  const wrapped = JSON.stringify({ body: "PGI+\naGk8\nL2I+" });
  assert.equal(formatMessage(wrapped, { decodeBase64: true, justBody: true }), "<b>hi</b>");
});

Deno.test("`formatMessage()` decodes the body in the message's own encoding", () => {
  // "Αθήνα" in ISO-8859-7.
  const greek = btoa(String.fromCharCode(0xc1, 0xe8, 0xde, 0xed, 0xe1));
  const raw = JSON.stringify({ body: greek, encoding: "iso-8859-7" });
  assert.equal(formatMessage(raw, { decodeBase64: true, justBody: true }), "Αθήνα");
  // An unknown encoding falls back to UTF-8.
  const odd = JSON.stringify({ body: base64("é"), encoding: "no-such-charset" });
  assert.equal(formatMessage(odd, { decodeBase64: true, justBody: true }), "é");
});

Deno.test("`formatMessage()` keeps a body that is not valid base64 or text with decodeBase64", () => {
  for (const body of ["hello world", "abcde", "YQ=", "a=bc", "=", "abcd", btoa("\xff\xfe\x00")]) {
    const raw = JSON.stringify({ body });
    assert.equal(formatMessage(raw, { decodeBase64: true, justBody: true }), body, body);
    assert.equal(formatMessage(raw, { decodeBase64: true }), raw, body);
  }
  const numeric = '{"body":42}';
  assert.equal(formatMessage(numeric, { decodeBase64: true }), numeric);
  assert.equal(formatMessage(numeric, { decodeBase64: true, justBody: true }), "42");
});

Deno.test("`formatMessage()` prints non-JSON values raw and a missing value as null", () => {
  assert.equal(formatMessage("plain text <b>", { pretty: true, noBody: true }), "plain text <b>");
  assert.equal(formatMessage("{not json", { justBody: true, decodeBase64: true }), "{not json");
  assert.equal(formatMessage("", { pretty: true }), "");
  assert.equal(formatMessage("bad \uFFFD utf-8"), "bad \uFFFD utf-8");
  assert.equal(formatMessage(null, { pretty: true }), "null");
});

Deno.test("`formatMessage()` shows arrays and scalars without touching bodies inside them", () => {
  const arr = '[{"body":"x"},1]';
  assert.equal(formatMessage(arr, { noBody: true, justBody: false }), arr);
  assert.equal(formatMessage(arr, { justBody: true }), arr);
  assert.equal(
    formatMessage(arr, { pretty: true, noBody: true }),
    '[\n    {\n        "body": "x"\n    },\n    1\n]',
  );
  assert.equal(formatMessage('"str"', { justBody: true }), '"str"');
  assert.equal(formatMessage("3.50", { pretty: true }), "3.5");
  assert.equal(formatMessage("null", { noBody: true }), "null");
});

Deno.test("`formatMessage()` never throws on deep nesting or huge values", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  assert.equal(typeof formatMessage(deep, { pretty: true }), "string");
  assert.equal(formatMessage(`{"body":${deep},"a":1}`, { noBody: true }), '{"a":1}');
  const huge = JSON.stringify({ body: btoa("x".repeat(5_000_000)) });
  assert.equal(formatMessage(huge, { decodeBase64: true, justBody: true }).length, 5_000_000);
  const proto = '{"__proto__":{"x":1},"body":"b"}';
  assert.equal(formatMessage(proto, { noBody: true }), '{"__proto__":{"x":1}}');
});

Deno.test("`decodeBase64Text()` returns the text itself when it cannot decode", () => {
  assert.equal(decodeBase64Text(base64("ok")), "ok");
  assert.equal(decodeBase64Text("ok!"), "ok!");
  assert.equal(decodeBase64Text(""), "");
});

// --- against the real Kafka -------------------------------------------------------------------

function testKafka(): Kafka {
  return createKafka(serviceEnv().KAFKA_HOSTS, "kafkadump-test");
}

/** A topic holding `values`, produced in order. */
async function topicWith(kafka: Kafka, values: string[]): Promise<string> {
  const topic = randomName("dump");
  await ensureTopics(kafka, [topic]);
  for (const value of values) await produceOnce(kafka, topic, value, 10_000);
  return topic;
}

Deno.test("`dumpTopic()` with fromBeginning writes every message already in the topic", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, [CRAWLED, "not json", '{"n":3}']);
  const lines: string[] = [];
  const count = await dumpTopic(kafka, topic, {
    fromBeginning: true,
    noBody: true,
    maxMessages: 3,
    signal: AbortSignal.timeout(30_000),
    write: (line) => lines.push(line),
  });
  assert.equal(count, 3);
  assert.deepEqual(lines, [
    '{"url":"http://a.com","encoding":"utf-8","status_code":200}',
    "not json",
    '{"n":3}',
  ]);
});

Deno.test("`dumpTopic()` starts at the end: only messages produced after it is ready", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, ['{"when":"before"}']);
  const lines: string[] = [];
  const count = await dumpTopic(kafka, topic, {
    maxMessages: 1,
    signal: AbortSignal.timeout(30_000),
    write: (line) => lines.push(line),
    onReady: () => void produceOnce(kafka, topic, '{"when":"after"}', 10_000),
  });
  assert.equal(count, 1);
  assert.deepEqual(lines, ['{"when":"after"}']);
});

Deno.test("`dumpTopic()` resolves with the count when the signal aborts", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, []);
  const controller = new AbortController();
  const count = await dumpTopic(kafka, topic, {
    signal: controller.signal,
    write: () => assert.fail("nothing to write"),
    onReady: () => controller.abort(),
  });
  assert.equal(count, 0);
});

Deno.test("`dumpTopic()` with a consumer group resumes after what it wrote", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, ["m0", "m1", "m2"]);
  const groupId = randomName("kafkadump-g");
  const read = async (maxMessages: number) => {
    const lines: string[] = [];
    await dumpTopic(kafka, topic, {
      groupId,
      fromBeginning: true,
      maxMessages,
      signal: AbortSignal.timeout(30_000),
      write: (line) => lines.push(line),
    });
    return lines;
  };
  assert.deepEqual(await read(2), ["m0", "m1"]);
  assert.deepEqual(await read(1), ["m2"]);
});

Deno.test("`dumpTopic()` rejects with the error of write and still disconnects", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, ["m0"]);
  await assert.rejects(
    () =>
      dumpTopic(kafka, topic, {
        fromBeginning: true,
        signal: AbortSignal.timeout(30_000),
        write: () => {
          throw new Deno.errors.BrokenPipe("closed");
        },
      }),
    Deno.errors.BrokenPipe,
  );
});

Deno.test("`dumpTopic()` does not create a topic that does not exist", async () => {
  const kafka = testKafka();
  const topic = randomName("missing");
  const count = await dumpTopic(kafka, topic, {
    signal: AbortSignal.timeout(30_000),
    write: () => assert.fail("nothing to write"),
  });
  assert.equal(count, 0);
  assert.ok(!(await listTopics(kafka)).includes(topic));
});

Deno.test("`listTopicsText()` lists the topics under 'Topics:'", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, []);
  const text = await listTopicsText(kafka);
  assert.match(text, /^Topics:\n/);
  assert.ok(text.split("\n").includes(`- ${topic}`));
});

// --- main.ts as a subprocess ------------------------------------------------------------------

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys=hostname,osRelease",
];

function kafkadump(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "components/kafkadump/main.ts", ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("kafkadump `dump` prints until SIGINT, then exits 0", async () => {
  const kafka = testKafka();
  const topic = await topicWith(kafka, [CRAWLED]);
  const child = kafkadump(["dump", "-t", topic, "-b", "-p", "-nb"], {
    KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let out = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      out += chunk;
      if (out.includes('    "status_code": 200\n}\n')) child.kill("SIGINT");
    }
    const status = await child.status;
    assert.equal(status.code, 0, `stdout:\n${out}\nstderr:\n${await stderr}`);
  } finally {
    clearTimeout(timer);
    await stderr;
  }
  assert.ok(out.includes('{\n    "url": "http://a.com",\n    "encoding": "utf-8",\n'), out);
  assert.ok(!out.includes(btoa("<b>hi</b>")), out);
  assert.match(out, /\[kafkadump\] INFO: Num records: 1/);
});

Deno.test("kafkadump `list` shows the topics", async () => {
  const topic = await topicWith(testKafka(), []);
  const { code, stdout } = await kafkadump(["list"], { KAFKA_HOSTS: serviceEnv().KAFKA_HOSTS })
    .output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0);
  assert.ok(text.includes(`Topics:\n`), text);
  assert.ok(text.includes(`\n- ${topic}\n`), text);
});

Deno.test("kafkadump `dump` without -t exits 2 with one line", async () => {
  const { code, stdout, stderr } = await kafkadump(["dump", "-p"]).output();
  assert.equal(code, 2);
  assert.equal(new TextDecoder().decode(stdout), "");
  assert.equal(
    new TextDecoder().decode(stderr),
    "kafkadump: dump: missing required option '--topic'. Try 'kafkadump --help'.\n",
  );
});

Deno.test("kafkadump exits 1 with one line when Kafka is unreachable", async () => {
  const { code, stderr } = await kafkadump(["dump", "-t", "any"], { KAFKA_HOSTS: "127.0.0.1:1" })
    .output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1);
  assert.match(text, /^Cannot connect to Kafka at 127\.0\.0\.1:1: [^\n]*\n$/);
});
