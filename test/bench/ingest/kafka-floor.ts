import { fork } from "node:child_process";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { personRecord } from "../events";
import { latenciesAt } from "../stats";

/**
 * Kafka's floor: a raw kafkajs producer set up as the channel's (idempotent,
 * one request in flight, acks from all replicas) sending one of our records
 * at a time, 1,000 a second, on the same broker: what the client and the
 * broker take by themselves. It runs in a process of its own: in the bench's
 * process it measured the bench too, whose heap (ghz's results, the
 * platforms' logs) made its collections part of the floor (p99 8–20 ms
 * there in one session's runs, 2.4–4.5 ms in a process of its own between
 * them; on a noisy machine it is higher either way).
 */
export async function kafkaFloor(brokers: readonly string[], topic: string): Promise<{ turn(seconds: number): Promise<number[]>; close(): Promise<void> }> {
  const child = fork(__filename, [brokers.join(","), topic], { cwd: join(__dirname, "../../.."), execArgv: process.execArgv });
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`Kafka's floor process exited (${code})`))));
  exited.catch(() => undefined);
  const next = () => Promise.race([new Promise<unknown>((resolve) => child.once("message", resolve)), exited]);
  await next(); // connected
  return {
    turn: async (seconds) => {
      child.send(seconds);
      return (await next()) as number[];
    },
    close: async () => {
      child.send("close");
      await exited.catch(() => undefined);
    },
  };
}

// The child: connects, then answers each number of seconds with that many seconds of latencies.
if (require.main === module) {
  const [brokers, topic] = process.argv.slice(2);
  const producer = new Kafka({ brokers: brokers!.split(","), logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  void producer.connect().then(() => {
    process.send!("connected");
    process.on("message", (m: number | "close") => {
      if (m === "close") void producer.disconnect().finally(() => process.exit(0));
      else void latenciesAt(1000, m, () => producer.send({ topic: topic!, acks: -1, messages: [personRecord()] })).then((l) => process.send!(l));
    });
  });
}
