/**
 * kafkajs 2.2.4 (its last release) encodes each record of a produce request
 * through a dozen small allocations: a zero-filled 512-byte Encoder for the
 * record and another for each header, and a `Buffer.from([...])` for every
 * varint. A CloudEvent record has eight `ce_*` headers, so its encoding was
 * the producer thread's largest cost (36% of its CPU, 23% in Buffer
 * allocation alone, profiled under PublishStream). Its grouping of messages
 * by partition copies the group for every message (quadratic in the batch:
 * 10% more).
 *
 * This puts record-encoding.ts's encoders, which give the same bytes, in
 * place of those two kafkajs modules before kafkajs's producer loads them.
 * Loaded by the producer thread only (first of its imports): the benchmarks'
 * raw kafkajs baseline stays kafkajs as released.
 */
import { encodeRecord, groupMessagesPerPartition } from "./record-encoding";

const recordPath = require.resolve("kafkajs/src/protocol/recordBatch/record/v0");
const groupingPath = require.resolve("kafkajs/src/producer/groupMessagesPerPartition");
// The modules that take the two at their own load: loaded before this, they would keep kafkajs's.
const takers = ["kafkajs/src/protocol/requests/produce/v3/request", "kafkajs/src/producer/sendMessages"].map((m) => require.resolve(m));

if (require.cache[recordPath]?.exports !== encodeRecord) {
  if (takers.some((m) => require.cache[m])) throw new Error("record-encoding-fix must be loaded before kafkajs's producer");
  require(recordPath);
  require(groupingPath);
  require.cache[recordPath]!.exports = encodeRecord;
  require.cache[groupingPath]!.exports = groupMessagesPerPartition;
}

export {};
