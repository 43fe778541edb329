import * as kafkajs from "kafkajs";
import { ChannelError, ChannelUnavailableError, type ChannelErrorCode } from "../errors";
import { channelErrorOf, kafkaErrorCode } from "./kafka-errors";

// kafkajs's own table of Kafka protocol errors (type, code, retriable): every one of them must map.
const { errorCodes, createErrorFromCode } = require("kafkajs/src/protocol/error") as {
  errorCodes: { type: string; code: number; retriable: boolean }[];
  createErrorFromCode: (code: number) => Error;
};
// Some kafkajs classes are exported but not typed.
const k = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const protocol = (type: string) => new k.KafkaJSProtocolError!(createErrorFromCode(errorCodes.find((e) => e.type === type)!.code));
const refused = new k.KafkaJSConnectionError!("Connection error: connect ECONNREFUSED 127.0.0.1:9092", { broker: "127.0.0.1:9092", code: "ECONNREFUSED" });

const cases: [string, ChannelErrorCode, Error][] = [
  // The broker cannot be reached or cannot serve now: retry later.
  ["a refused connection", "unavailable", refused],
  ["a closed connection", "unavailable", new k.KafkaJSConnectionClosedError!("Closed connection", { host: "127.0.0.1", port: 9092 })],
  ["a request time-out", "unavailable", new k.KafkaJSRequestTimeoutError!("Request Metadata(key: 3, version: 6) timed out", {})],
  ["retries exhausted", "unavailable", new k.KafkaJSNumberOfRetriesExceeded!(refused, { retryCount: 5, retryTime: 2000 })],
  ["no broker found", "unavailable", new k.KafkaJSBrokerNotFound!("Broker 1 not found in the cached metadata")],
  ["no broker available", "unavailable", new k.KafkaJSNoBrokerAvailableError!("No broker available")],
  ["no group coordinator", "unavailable", new k.KafkaJSGroupCoordinatorNotFound!("Failed to find group coordinator")],
  ["metadata not loaded", "unavailable", new k.KafkaJSTopicMetadataNotLoaded!("Topic metadata not loaded", { topic: "t" })],
  ["stale metadata", "unavailable", new k.KafkaJSStaleTopicMetadataAssignment!("Topic has been updated", { topic: "t", unknownPartitions: [1] })],
  ["a time-out", "unavailable", new k.KafkaJSTimeout!("Timeout")],
  ["a lock time-out", "unavailable", new k.KafkaJSLockTimeout!("Timeout while acquiring lock")],
  ["a partial message", "unavailable", new k.KafkaJSPartialMessageError!("Tried to decode a partial message")],
  ["a leader election", "unavailable", protocol("LEADER_NOT_AVAILABLE")],
  ["too few in-sync replicas", "unavailable", protocol("NOT_ENOUGH_REPLICAS")],
  ["the broker's UNKNOWN error", "unavailable", protocol("UNKNOWN")],
  ["an idempotent producer's sequence trouble", "unavailable", protocol("OUT_OF_ORDER_SEQUENCE_NUMBER")],
  ["a storage error", "unavailable", protocol("KAFKA_STORAGE_ERROR")],
  ["any other kafkajs error", "unavailable", new k.KafkaJSError!("something retriable")],
  // The event itself: the topic will never take it.
  ["a record too large", "invalid_argument", protocol("MESSAGE_TOO_LARGE")],
  ["a batch too large", "invalid_argument", protocol("RECORD_LIST_TOO_LARGE")],
  ["an invalid record", "invalid_argument", protocol("INVALID_RECORD")],
  ["an invalid timestamp", "invalid_argument", protocol("INVALID_TIMESTAMP")],
  // What was asked is gone from the log, or arrived unreadable.
  ["an offset out of range", "data_loss", new k.KafkaJSOffsetOutOfRange!(createErrorFromCode(1), { topic: "t", partition: 0 })],
  ["OFFSET_OUT_OF_RANGE", "data_loss", protocol("OFFSET_OUT_OF_RANGE")],
  ["a bad varint", "data_loss", new k.KafkaJSInvalidVarIntError!("Malformed varint")],
  ["a bad long", "data_loss", new k.KafkaJSInvalidLongError!("Malformed long")],
  // The platform's rights or the cluster's set-up: an operator must act.
  ["a topic not authorized", "failed_precondition", protocol("TOPIC_AUTHORIZATION_FAILED")],
  ["a group not authorized", "failed_precondition", protocol("GROUP_AUTHORIZATION_FAILED")],
  ["SASL refused", "failed_precondition", new k.KafkaJSSASLAuthenticationError!("SASL PLAIN authentication failed")],
  ["an API the broker lacks", "failed_precondition", new k.KafkaJSServerDoesNotSupportApiKey!("The Kafka server does not support the requested API version", { apiKey: 1, apiName: "Fetch" })],
  ["a codec kafkajs lacks", "failed_precondition", new k.KafkaJSNotImplemented!("Snappy compression not implemented")],
  ["an old message format", "failed_precondition", new k.KafkaJSUnsupportedMagicByteInMessageSet!("Unsupported MessageSet message version")],
  ["a topic policy", "failed_precondition", new k.KafkaJSCreateTopicError!(createErrorFromCode(44), "t")],
  // kafkajs refusing how the platform called it: a bug here.
  ["an invariant violated", "internal", new k.KafkaJSInvariantViolation!("Invalid offset")],
  ["an argument refused", "internal", new k.KafkaJSNonRetriableError!("Invalid topic")],
  // What kafkajs's retrier gave up on, wrapped: by its cause.
  ["a wrapped record too large", "invalid_argument", new k.KafkaJSNonRetriableError!(protocol("MESSAGE_TOO_LARGE"), { cause: protocol("MESSAGE_TOO_LARGE") })],
  ["a wrapped refused connection", "unavailable", new k.KafkaJSNonRetriableError!(refused, { cause: refused })],
];

describe("kafkajs errors as channel codes", () => {
  it.each(cases)("%s → %s", (_what, code, err) => {
    expect(kafkaErrorCode(err)).toBe(code);
    const mapped = channelErrorOf(err, "read t");
    expect(mapped).toBeInstanceOf(ChannelError);
    expect(mapped).toMatchObject({ code, message: `Kafka could not read t: ${err.message}`, cause: err });
    if (code === "unavailable") expect(mapped).toBeInstanceOf(ChannelUnavailableError);
  });

  it("maps every Kafka protocol error kafkajs knows, the retriable ones to UNAVAILABLE", () => {
    const codes = new Set<ChannelErrorCode>(["unavailable", "invalid_argument", "data_loss", "failed_precondition"]);
    expect(errorCodes.length).toBeGreaterThan(80);
    for (const { type, code, retriable } of errorCodes) {
      const mapped = kafkaErrorCode(new k.KafkaJSProtocolError!(createErrorFromCode(code)));
      expect([type, codes.has(mapped)]).toEqual([type, true]);
      if (retriable) expect([type, mapped]).toEqual([type, "unavailable"]);
    }
  });

  it("maps an aggregate by its first kafkajs error", () => {
    expect(kafkaErrorCode(new k.KafkaJSAggregateError!("Failed", [protocol("MESSAGE_TOO_LARGE"), refused]))).toBe("invalid_argument");
  });

  it("passes channel errors and errors of other origin unchanged", () => {
    const own = new ChannelUnavailableError("down");
    const bug = new TypeError("x is undefined");
    expect(channelErrorOf(own, "read t")).toBe(own);
    expect(channelErrorOf(bug, "read t")).toBe(bug);
  });
});
