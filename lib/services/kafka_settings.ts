/**
 * The Kafka settings, with Scrapy Cluster's names and defaults, in the groups the components
 * compose: the brokers (every component) and the producer tuning, both read by `kafka.ts`; the
 * consumer tuning, read where a component consumes; and the topic rows, each read by the
 * components that have it in Scrapy Cluster.
 *
 * @module
 */

import { bool, float, int, oneOf, optStr, str } from "../config/parsers.ts";
import { KAFKA_COMPRESSIONS } from "./kafka_codecs.ts";

/**
 * Where the brokers are and how to reach them (TLS, SASL): every component talks to Kafka
 * through them, and every kafkajs client is built from them (`createKafka` in `kafka.ts`).
 */
export const KAFKA_SETTINGS = {
  KAFKA_HOSTS: str("localhost:9092", "Kafka brokers, comma separated host:port", {
    nonEmpty: true,
  }),
  KAFKA_SSL: bool(
    false,
    "connect to the brokers over TLS (on by itself when KAFKA_SSL_CA or KAFKA_SSL_CERT is set)",
  ),
  KAFKA_SSL_CA: optStr("PEM file of the CA that signed the brokers' certificates (TLS)"),
  KAFKA_SSL_CERT: optStr("PEM file of this client's certificate, for brokers that require one"),
  KAFKA_SSL_KEY: optStr("PEM file of the private key of KAFKA_SSL_CERT (unencrypted)"),
  KAFKA_SASL_MECHANISM: oneOf(
    ["none", "plain", "scram-sha-512"],
    "none",
    "SASL authentication to the brokers: none, plain or scram-sha-512",
  ),
  KAFKA_SASL_USERNAME: optStr("SASL user name (with KAFKA_SASL_MECHANISM)"),
  KAFKA_SASL_PASSWORD: optStr("SASL password (with KAFKA_SASL_MECHANISM)"),
};

/** How the producer batches (see `connectProducer` in `kafka.ts`). */
export const KAFKA_PRODUCER_SETTINGS = {
  KAFKA_PRODUCER_BATCH_LINGER_MS: int(
    25,
    "longest wait, in milliseconds, of messages gathering behind a batch in flight (they go as soon as it is acknowledged; idle: sent at once)",
    {
      min: 0,
    },
  ),
  KAFKA_PRODUCER_BUFFER_BYTES: int(4 * 1024 * 1024, "producer send buffer size in bytes", {
    min: 1,
  }),
  KAFKA_PRODUCER_MAX_REQUEST_SIZE: int(
    1024 * 1024,
    "maximum bytes of one produced record batch, so of a message with its key and ~100 bytes of framing (the broker's message.max.bytes is ~1 MB)",
    { min: 1 },
  ),
  KAFKA_COMPRESSION: oneOf(
    KAFKA_COMPRESSIONS,
    "none",
    "compression of produced batches: none, gzip, lz4 or zstd (every consumer here reads all four; " +
      "zstd packs HTML ~9x at about the same CPU)",
  ),
};

/** How a consumer starts, commits and fetches. */
export const KAFKA_CONSUMER_SETTINGS = {
  KAFKA_CONSUMER_AUTO_OFFSET_RESET: oneOf(
    ["earliest", "latest"],
    "earliest",
    "where a new consumer group starts reading",
  ),
  KAFKA_CONSUMER_COMMIT_INTERVAL_MS: int(5000, "milliseconds between consumer offset commits", {
    min: 0,
  }),
  KAFKA_CONSUMER_FETCH_MESSAGE_MAX_BYTES: int(
    10 * 1024 * 1024,
    "maximum bytes of one consumed message",
    { min: 1 },
  ),
};

/** Topic, group and feed rows; components pick the ones they read. */
export const KAFKA_TOPIC_SETTINGS = {
  KAFKA_TOPIC_PREFIX: str("demo", "prefix of every topic the cluster uses", { nonEmpty: true }),
  KAFKA_INCOMING_TOPIC: str("demo.incoming", "topic the Kafka Monitor consumes requests from", {
    nonEmpty: true,
  }),
  KAFKA_GROUP: str("demo-group", "Kafka consumer group id", { nonEmpty: true }),
  KAFKA_FEED_TIMEOUT: float(10, "seconds to wait when feeding a message into Kafka", {
    exclusiveMin: 0,
  }),
};
