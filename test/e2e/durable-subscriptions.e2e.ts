import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { ConsumeRequestSchema, descriptorSetPath, IngestService, SubscriptionService, type ReceivedEvent } from "@meshstream/proto";
import { DurableConsumer } from "../harness/durable-consumer";
import { TestClient } from "../harness/grpc-client";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { runOk } from "../harness/run";
import { tempDir } from "../harness/temp";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";
const total = 10_000;
const ackDeadlineMs = 1500;
const maxOutstanding = 50;

const nOf = (r: ReceivedEvent) => (JSON.parse(Buffer.from(r.delivery!.event!.data.case === "textData" ? r.delivery!.event!.data.value : (r.delivery!.event!.data.value as Uint8Array)).toString()) as { Last: string }).Last;

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const channels: [string, () => Record<string, string>][] = [
  ["embedded", () => ({ MESHSTREAM_DATA_DIR: tempDir("durable-e2e") })],
  ["kafka", () => ({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `durable-${randomUUID().slice(0, 8)}.` })],
];

describe.each(channels)("durable subscriptions on the %s channel (platform processes, grpc-js consumers)", (_kind, envOf) => {
  let env: Record<string, string>;
  let platform: RunningPlatform;
  let client: TestClient;
  const start = async () => {
    // The same data (folder, or topics) across the restart.
    env ??= envOf();
    platform = await startPlatform(env);
    client = new TestClient(platform.address);
  };
  beforeAll(start);
  afterAll(async () => {
    client?.close();
    await platform?.stop();
  });

  async function publish(from: number, count: number) {
    for (let i = from; i < from + count; i += 1000) {
      const events = Array.from({ length: Math.min(1000, from + count - i) }, (_, j) => ({
        type,
        // Several keys: several orders to keep, one per key.
        subject: `person-${(i + j) % 7}`,
        payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: `N${i + j}`, Age: 30 })) },
      }));
      const { results } = await client.unary(IngestService.method.publishBatch, { events });
      expect(results.every((r) => r.result.case === "receipt")).toBe(true);
    }
  }

  it("3 consumers share 10,000 events, each acknowledged once; a killed consumer's events go to the others; a restart loses nothing", async () => {
    const name = "people-e2e";
    const created = await client.unary(SubscriptionService.method.createSubscription, {
      subscription: { name, filter: { types: [type] }, start: { start: { case: "earliest", value: true } }, ackDeadline: durationFromMs(ackDeadlineMs), maxDeliveries: 5 },
    });
    expect(created.subscription).toMatchObject({ name, dataProducts: ["people"], maxDeliveries: 5 });
    await publish(0, total);

    const acks = new Map<string, number>();
    const ackedBeforeRestart = new Set<string>();
    let restarted = false;
    let duplicatesAfterRestart = 0;
    let outOfOrder = 0;
    const ack = (r: ReceivedEvent) => {
      const n = nOf(r);
      if (restarted && ackedBeforeRestart.has(n)) duplicatesAfterRestart++;
      acks.set(n, (acks.get(n) ?? 0) + 1);
      return "ack" as const;
    };
    // The victim acknowledges its first 100 events, then holds what it gets until it is killed.
    const victimHeld = new Set<string>();
    let victimAcked = 0;
    const victim = new DurableConsumer(client, name, maxOutstanding, (r) => {
      if (victimAcked < 100) return (victimAcked++, ack(r));
      victimHeld.add(nOf(r));
      return "hold";
    });
    const redeliveredHeld = new Map<string, number>();
    // Each worker checks its own order per key.
    const worker = (lastSubject = new Map<string, number>()) => (r: ReceivedEvent) => {
      const n = nOf(r);
      if (victimHeld.has(n)) redeliveredHeld.set(n, r.deliveryCount);
      // Per key, a first delivery never goes back in order (redeliveries may).
      if (r.deliveryCount === 1) {
        const s = r.delivery!.event!.attributes.subject?.attr.value as string;
        if ((lastSubject.get(s) ?? -1) > Number(n.slice(1))) outOfOrder++;
        lastSubject.set(s, Number(n.slice(1)));
      }
      expect(r.delivery!.event!.attributes.deliverycount?.attr.value).toBe(String(r.deliveryCount));
      return ack(r);
    };
    let workers = [new DurableConsumer(client, name, maxOutstanding, worker()), new DurableConsumer(client, name, maxOutstanding, worker())];

    await until("the victim holds 50 events", () => victimHeld.size === maxOutstanding);
    victim.kill();
    await until("the others acknowledged what the victim held", () => [...victimHeld].every((n) => acks.has(n)));
    for (const n of victimHeld) expect(redeliveredHeld.get(n)).toBe(2);

    await until("half is acknowledged", () => acks.size >= total / 2);
    // Each event acknowledged exactly once so far, none lost in between.
    expect([...acks.values()].every((c) => c === 1)).toBe(true);
    for (const n of acks.keys()) ackedBeforeRestart.add(n);
    restarted = true;
    const ackedAtStop = acks.size;
    await platform.stop();
    client.close();
    await start();
    workers = [new DurableConsumer(client, name, maxOutstanding, worker()), new DurableConsumer(client, name, maxOutstanding, worker())];
    await until("all is acknowledged", () => acks.size === total);
    // Quiet after: nothing left to redeliver once every event is acknowledged.
    const settled = [...acks.values()].reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, ackDeadlineMs * 1.5));
    expect([...acks.values()].reduce((a, b) => a + b, 0)).toBe(settled);
    for (const w of workers) w.leave();

    expect(acks.size).toBe(total);
    expect(outOfOrder).toBe(0);
    // The documented bound: after a restart, only acknowledgements the platform had not yet received or stored come again —
    // at most what the consumers held at the stop (2 × 50 outstanding) plus what came in within one flush before it.
    expect(duplicatesAfterRestart).toBeLessThanOrEqual(2 * maxOutstanding);
    expect(ackedAtStop).toBeGreaterThanOrEqual(total / 2);
  }, 120_000);

  it("a Python grpcio consumer does the dead-letter cycle: nacked to max deliveries, listed with its reason, redriven, acknowledged", async () => {
    const script = join(repoRoot, "test/harness/python/durable_dead_letters.py");
    const { stdout, stderr, code } = await runOk(toolPath("PYTHON"), [script, platform.address, descriptorSetPath, "people-python", type], { timeoutMs: 60_000 });
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const steps = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const id = steps.find((s) => s.step === "published")!.id;
    expect(steps.map((s) => s.step)).toEqual(["created", "published", "delivered", "delivered", "dead-lettered", "redriven", "delivered", "acked", "dead letters left"]);
    expect(steps.filter((s) => s.step === "delivered").map((s) => [s.id, s.count, s.extension])).toEqual([
      [id, 1, "1"],
      [id, 2, "2"],
      [id, 1, "1"],
    ]);
    expect(steps.find((s) => s.step === "dead-lettered")).toEqual({
      step: "dead-lettered",
      id,
      reason: "nacked by the consumer",
      count: 2,
      reason_extension: "nacked by the consumer",
      count_extension: "2",
    });
    expect(steps.find((s) => s.step === "redriven")!.count).toBe(1);
    expect(steps.at(-1)!.count).toBe(0);
  }, 90_000);

  it("refuses bad subscription requests with clear statuses, and keeps serving", async () => {
    const failure = (p: Promise<unknown>) => p.then(() => "ok", (err: ServiceError) => `${Code[err.code]}: ${err.details}`);
    expect(await failure(client.unary(SubscriptionService.method.createSubscription, {}))).toMatch(/^INVALID_ARGUMENT: subscription is required/);
    expect(await failure(client.unary(SubscriptionService.method.createSubscription, { subscription: { name: "x", filter: { types: ["no.such.type"] } } }))).toMatch(/^NOT_FOUND/);
    expect(await failure(client.unary(SubscriptionService.method.createSubscription, { subscription: { name: "-bad", filter: { types: [type] } } }))).toMatch(/^INVALID_ARGUMENT: .*name/);
    expect(await failure(client.unary(SubscriptionService.method.getSubscription, { name: "nope" }))).toMatch(/^NOT_FOUND: subscription nope does not exist/);
    expect(await failure(client.unary(SubscriptionService.method.redrive, { subscription: "people-e2e" }))).toMatch(/^INVALID_ARGUMENT: name the dead letters/);
    const c = new DurableConsumer(client, "nope", 10, () => "ack");
    expect(await c.ended).toMatchObject({ code: Code.NOT_FOUND, details: "subscription nope does not exist" });
    const negative = new DurableConsumer(client, "people-e2e", 10, () => "ack");
    negative.call.write(create(ConsumeRequestSchema, { deadlineChanges: [{ ackIds: ["x"], deadline: { seconds: -1n } }] }));
    expect(await negative.ended).toMatchObject({ code: Code.INVALID_ARGUMENT, details: "deadline_changes.deadline must not be negative" });
    const listed = await client.unary(SubscriptionService.method.listSubscriptions, {});
    expect(listed.subscriptions.map((s) => s.name)).toContain("people-e2e");
  });
});

describe("durable subscriptions through a crash (embedded channel, SIGKILL)", () => {
  it("a platform killed mid-run restarts where its stored acknowledgements stand: nothing lost, few acknowledged events again", async () => {
    const env = { MESHSTREAM_DATA_DIR: tempDir("durable-crash") };
    let platform = await startPlatform(env);
    let client = new TestClient(platform.address);
    const count = 3000;
    try {
      await client.unary(SubscriptionService.method.createSubscription, { subscription: { name: "crash", filter: { types: [type] }, start: { start: { case: "earliest", value: true } } } });
      for (let i = 0; i < count; i += 1000) {
        const events = Array.from({ length: 1000 }, (_, j) => ({ type, subject: "p", payload: { case: "dataJson" as const, value: Buffer.from(JSON.stringify({ first: "Ann", Last: `N${i + j}` })) } }));
        await client.unary(IngestService.method.publishBatch, { events });
      }
      const acks = new Map<string, number>();
      const ackTimes: number[] = [];
      const ack = (r: ReceivedEvent) => (acks.set(nOf(r), (acks.get(nOf(r)) ?? 0) + 1), ackTimes.push(Date.now()), "ack" as const);
      new DurableConsumer(client, "crash", maxOutstanding, ack);
      await until("a third is acknowledged", () => acks.size >= count / 3);
      const killedAt = Date.now();
      expect(await platform.stop("SIGKILL")).toBeNull();
      client.close();
      const lastQuarterSecond = ackTimes.filter((t) => t > killedAt - 250).length;
      const ackedBefore = acks.size;
      platform = await startPlatform(env);
      client = new TestClient(platform.address);
      const consumer = new DurableConsumer(client, "crash", maxOutstanding, ack);
      await until("all is acknowledged", () => acks.size === count);
      consumer.leave();
      const again = [...acks.values()].filter((c) => c > 1).length;
      process.stderr.write(`durable crash: ${ackedBefore} acknowledged before the SIGKILL (${lastQuarterSecond} in its last 250 ms), ${again} of them delivered again after the restart\n`);
      // The documented bound: again only what was sent but not yet received (≤ maxOutstanding), or received within
      // the last flush (25 ms) and its write before the kill — here taken as the acknowledgements of the last 250 ms.
      expect(again).toBeLessThanOrEqual(maxOutstanding + lastQuarterSecond);
    } finally {
      client.close();
      await platform.stop();
    }
  }, 120_000);
});
