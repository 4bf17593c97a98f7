/**
 * kafkadump: a Kafka topic utility for checking message flows. `dump -t <topic>` prints the
 * messages of a topic (from its end unless `-b`) until Ctrl+C; `list` lists the topics.
 *
 * @module
 */

import {
  finish,
  getLog,
  type ProgramSpec,
  shutdownSignal,
  startProgram,
} from "../../lib/config/mod.ts";
import { checkKafka, createKafka } from "../../lib/services/mod.ts";
import { dumpTopic, listTopicsText } from "./dump.ts";
import { KAFKADUMP_SETTINGS } from "./settings.ts";

const KAFKA_HOST_OPTION = {
  "kafka-host": {
    type: "string",
    description: "Kafka brokers to use instead of KAFKA_HOSTS",
    valueName: "HOSTS",
  },
} as const;

const PROGRAM: ProgramSpec = {
  name: "kafkadump",
  description: "kafkadump: a Kafka topic dump utility for debugging.",
  commands: [
    { name: "list", summary: "list all Kafka topics", options: { ...KAFKA_HOST_OPTION } },
    {
      name: "dump",
      summary: "print the messages of a topic until Ctrl+C (from its end unless -b)",
      options: {
        topic: { type: "string", short: "t", description: "the Kafka topic to read (required)" },
        consumer: {
          type: "string",
          short: "c",
          description: "consumer group id, whose offsets are committed (default: a fresh group)",
          valueName: "GROUP",
        },
        "from-beginning": {
          type: "boolean",
          short: "b",
          description: "read the topic from the beginning",
        },
        "no-body": { type: "boolean", description: "leave out the raw html 'body' field" },
        "just-body": { type: "boolean", description: "print only the raw html 'body' field" },
        pretty: { type: "boolean", short: "p", description: "pretty print JSON messages" },
        "decode-base64": {
          type: "boolean",
          short: "d",
          description: "base64-decode the 'body' field",
        },
        ...KAFKA_HOST_OPTION,
      },
    },
  ],
  aliases: { "-nb": "--no-body", "-jb": "--just-body", "-kh": "--kafka-host" },
};

function _usageError(message: string): Promise<never> {
  console.error(`kafkadump: dump: ${message}. Try 'kafkadump --help'.`);
  return finish(2);
}

const _encoder = new TextEncoder();

/** Writes one line to stdout synchronously, so messages and log lines stay in order. */
function _printLine(line: string): void {
  let bytes = _encoder.encode(line + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}

if (import.meta.main) {
  const { command, values, settings } = await startProgram(
    PROGRAM,
    KAFKADUMP_SETTINGS,
    Deno.args,
    Deno.env.toObject(),
  );
  const log = getLog("kafkadump");
  const hosts = typeof values["kafka-host"] === "string"
    ? values["kafka-host"]
    : settings.KAFKA_HOSTS;
  // --kafka-host replaces only the brokers: TLS and SASL still come from the settings.
  const conn = { ...settings, KAFKA_HOSTS: hosts };
  const topic = typeof values.topic === "string" ? values.topic : "";
  if (command === "dump" && topic === "") await _usageError("missing required option '--topic'");
  if (values["no-body"] && values["just-body"]) {
    await _usageError("--no-body and --just-body cannot be combined");
  }

  try {
    await checkKafka(conn);
  } catch (err) {
    console.error((err as Error).message.split("\n")[0]);
    await finish(1);
  }
  log.info("Connected to {hosts}", { hosts });
  const kafka = createKafka(conn, "kafkadump");

  if (command === "list") {
    try {
      _printLine(await listTopicsText(kafka));
    } catch (err) {
      console.error(`Cannot list topics: ${(err as Error).message.split("\n")[0]}`);
      await finish(1);
    }
    await finish(0);
  }

  const signal = shutdownSignal();
  try {
    const count = await dumpTopic(kafka, topic, {
      fromBeginning: values["from-beginning"] === true,
      groupId: typeof values.consumer === "string" ? values.consumer : undefined,
      pretty: values.pretty === true,
      noBody: values["no-body"] === true,
      justBody: values["just-body"] === true,
      decodeBase64: values["decode-base64"] === true,
      maxBytesPerPartition: settings.KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES,
      signal,
      write: _printLine,
      onReady: () => log.debug("Dumping {topic}; Ctrl+C stops", { topic }),
      log,
    });
    log.info("Num records: {count}", { count });
  } catch (err) {
    // `kafkadump dump ... | head` closes the pipe: that is a normal way to stop.
    if (!(err instanceof Deno.errors.BrokenPipe)) {
      console.error(`Cannot dump ${topic}: ${(err as Error).message.split("\n")[0]}`);
      await finish(1);
    }
  }
  await finish(0);
}
