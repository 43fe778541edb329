import { execFileSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { encodeRecord, groupMessagesPerPartition } from "./record-encoding";

// kafkajs's own encoders, the reference: the same bytes, or the same error, for every input.
const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0") as typeof encodeRecord;
const kafkajsGrouping = require("kafkajs/src/producer/groupMessagesPerPartition") as typeof groupMessagesPerPartition;

const outcome = (encode: typeof encodeRecord, input: Parameters<typeof encodeRecord>[0]) => {
  try {
    return { bytes: Buffer.from((encode(input) as unknown as { buffer: Buffer }).buffer).toString("hex") };
  } catch (err) {
    return { error: String(err) };
  }
};

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ minLength: 100, maxLength: 300 }));
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const field = fc.oneof(text, bytes, fc.constant(null), fc.constant(undefined));
// Mostly what kafkajs accepts, sometimes what it refuses or encodes by its own rule (the fallback).
const headerValue = fc.oneof({ weight: 30, arbitrary: fc.oneof(text, bytes) }, { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.integer(), fc.array(text, { maxLength: 3 })) });
const record = fc.record(
  {
    offsetDelta: fc.oneof({ weight: 10, arbitrary: fc.nat(5000) }, fc.nat(), fc.integer({ min: -5, max: 5 })),
    timestampDelta: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -1000, max: 100_000 }) }, fc.maxSafeInteger(), fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 })),
    key: fc.oneof({ weight: 10, arbitrary: field }, fc.integer()),
    value: field,
    headers: fc.dictionary(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("ce_id", "ce_type", "content-type")), headerValue, { maxKeys: 10 }),
  },
  { requiredKeys: [] },
);

describe("Kafka record encoding", () => {
  it("is read against kafkajs 2.2.4: another version must be read again", () => {
    expect((require("kafkajs/package.json") as { version: string }).version).toBe("2.2.4");
  });

  it("gives kafkajs's bytes for a CloudEvent record", () => {
    const input = {
      offsetDelta: 3,
      timestampDelta: 17,
      key: "k3",
      value: Buffer.from('{"first":"John"}'),
      headers: { "content-type": "application/json", ce_specversion: "1.0", ce_id: "9f0c", ce_type: "MySource:newPerson", ce_time: "2026-11-30T12:00:00.000Z" },
    };
    expect(outcome(encodeRecord, input)).toEqual(outcome(kafkajsRecord, input));
  });

  it("gives kafkajs's bytes, or its error, for any record (property)", () => {
    fc.assert(
      fc.property(record, (input) => {
        expect(outcome(encodeRecord, input)).toEqual(outcome(kafkajsRecord, input));
      }),
      { numRuns: 5000 },
    );
  });

  it("groups messages by partition as kafkajs does, in their order (property)", () => {
    const messages = fc.array(fc.record({ partition: fc.nat(4), n: fc.nat() }), { maxLength: 200 });
    fc.assert(
      fc.property(messages, fc.nat(3), (ms, partitions) => {
        const input = { topic: "t", partitionMetadata: Array.from({ length: partitions }, (_, i) => ({ partitionId: i })), messages: ms, partitioner: ({ message }: { message: { partition: number } }) => message.partition };
        expect(groupMessagesPerPartition(input)).toEqual(kafkajsGrouping(input));
      }),
    );
  });
});

describe("record-encoding-fix", () => {
  // Each in a Node of its own: the fix acts on Node's module cache, before kafkajs's producer loads.
  const produceRequest = (preload: string[]) =>
    execFileSync(
      process.execPath,
      [
        "-r",
        "@swc-node/register",
        ...preload.flatMap((p) => ["-r", join(__dirname, p)]),
        "-e",
        `const request = require("kafkajs/src/protocol/requests/produce/v3/request");
         const messages = Array.from({ length: 50 }, (_, i) => ({ key: i % 3 ? "k" + i : null, value: Buffer.from("value " + i), timestamp: String(1764500000000 + i), headers: { ce_id: "id-" + i, ce_type: "t" } }));
         request({ acks: -1, timeout: 1000, compression: 0, topicData: [{ topic: "t", partitions: [{ partition: 0, firstSequence: 7, messages }] }], producerId: 42, producerEpoch: 1 })
           .encode().then((e) => process.stdout.write(JSON.stringify({ fixed: require.cache[require.resolve("kafkajs/src/protocol/recordBatch/record/v0")].exports.name, bytes: e.buffer.toString("hex") })));`,
      ],
      { cwd: join(__dirname, "../../../.."), encoding: "utf8" },
    );

  it("puts its encoder in kafkajs's place, and kafkajs's produce requests keep their bytes", () => {
    const released = JSON.parse(produceRequest([])) as { fixed: string; bytes: string };
    const fixed = JSON.parse(produceRequest(["record-encoding-fix.ts"])) as { fixed: string; bytes: string };
    expect(released.fixed).not.toBe("encodeRecord");
    expect(fixed.fixed).toBe("encodeRecord");
    expect(fixed.bytes).toBe(released.bytes);
  });

  it("refuses to load once kafkajs's producer is loaded, where it could no longer take effect", () => {
    expect(() => execFileSync(process.execPath, ["-r", "@swc-node/register", "-e", `require("kafkajs"); require(${JSON.stringify(join(__dirname, "record-encoding-fix.ts"))});`], { cwd: join(__dirname, "../../../.."), stdio: "pipe" })).toThrow(
      /must be loaded before kafkajs's producer/,
    );
  });
});
