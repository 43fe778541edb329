import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { KafkaChannel } from "@meshstream/channel";
import { eventually, storeEvents, storeWhileSampling } from "../harness/flow";
import { startInProcessPlatform, type InProcessPlatform } from "../harness/in-process-platform";
import { startPlatform } from "../harness/platform";
import { openEventStream } from "../harness/sse-client";
import { toolPath } from "../harness/tool-paths";

const type = "MySource:newPerson";

const count = (resource: string) => process.getActiveResourcesInfo().filter((r) => r === resource).length;

describe("Server-Sent Events flow control on Kafka", () => {
  it("holds a client that never reads to bounded memory while 25,000 events (100 MiB) arrive, then delivers them all", async () => {
    const env = { MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: toolPath("KAFKA_BROKERS"), MESHSTREAM_KAFKA_TOPIC_PREFIX: `sse-${randomUUID().slice(0, 8)}.` };
    const platform = await startPlatform(env);
    const publisher = await KafkaChannel.connect({ brokers: env.MESHSTREAM_KAFKA_BROKERS.split(","), topicPrefix: env.MESHSTREAM_KAFKA_TOPIC_PREFIX });
    // 25,000 events of about 4 KiB: 100 MiB in all.
    const total = 25_000;
    const { hostname: host, port } = new URL(platform.httpUrl);
    let socket: Socket | undefined;
    try {
      // First a reader that keeps up, through 5,000 events: the baseline is then the platform as
      // this load leaves it (V8's young generation grown, the channel's buffers), and what grows
      // after it is what the stalled reader costs (as in subscribe-flow.e2e).
      const warm = openEventStream(`${platform.httpUrl}/events?type=${type}`);
      await warm.response;
      await storeEvents(publisher, 5_000, 4000);
      await warm.first(5_000, 60_000);
      warm.close();

      // A raw socket that sends its request and then reads nothing: the server's writes fill the
      // kernel's buffers, and from then on only 'drain' can let the server read on.
      socket = connect(Number(port), host);
      await new Promise((resolve, reject) => socket!.once("connect", resolve).once("error", reject));
      socket.pause();
      socket.write(`GET /events?type=${type} HTTP/1.1\r\nhost: ${host}\r\naccept: text/event-stream\r\n\r\n`);
      // Positioned once the first bytes of the response are in the socket's buffer.
      await eventually(() => socket!.readableLength > 0, "response headers");

      const phase = Date.now();
      const { baselineMiB, peakMiB, growthMiB } = await storeWhileSampling(publisher, platform.process.pid!, total, 4000);
      process.stderr.write(`SSE backpressure: server RSS ${baselineMiB.toFixed(0)} MiB → peak ${peakMiB.toFixed(0)} MiB (+${growthMiB.toFixed(1)} MiB) while 25,000 events (~100 MiB) were stored in ${Date.now() - phase} ms\n`);
      // Under the ~100 MiB the events take, so a server that buffered them for its reader could
      // not pass (it would also hold each one's JSON form). What it does hold: the topic's ring
      // (at most 16 MiB), a replay buffer, the kernel's socket buffers; the rest is garbage not yet
      // collected (+7 to +12 MiB in two runs after the warm-up; +45 to +51 MiB without it).
      expect(growthMiB).toBeLessThan(80);

      // Now the client reads: every event arrives, in order, none lost while it was stalled.
      const seen: number[] = [];
      let rest = "";
      const all = new Promise<void>((resolve) => {
        socket!.on("data", (chunk: Buffer) => {
          const text = rest + chunk.toString("latin1");
          let from = 0;
          for (let at = text.indexOf('"n":', from); at >= 0; at = text.indexOf('"n":', from)) {
            const end = text.indexOf("}", at);
            if (end < 0) break;
            seen.push(Number(text.slice(at + 4, end)));
            from = end;
          }
          rest = text.slice(from);
          if (seen.length >= total) resolve();
        });
      });
      socket.resume();
      const reading = Date.now();
      await Promise.race([all, new Promise((r) => setTimeout(r, 120_000))]);
      process.stderr.write(`SSE backpressure: the client then read them all in ${Date.now() - reading} ms\n`);
      expect(seen.length).toBe(total);
      expect(seen.every((n, i) => n === i)).toBe(true);
    } finally {
      socket?.destroy();
      await publisher.close();
      await platform.stop();
    }
  }, 300_000);
});

describe("Server-Sent Events, embedded channel", () => {
  let platform: InProcessPlatform;

  beforeAll(async () => {
    platform = await startInProcessPlatform({ MESHSTREAM_HTTP_HEARTBEAT_MS: "200" });
  });
  afterAll(async () => {
    await platform?.close();
  });

  const publish = () => fetch(`${platform.httpUrl}/events/${type}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"first":"Ann","Last":"Lee"}' });

  it("sends heartbeats on an idle stream", async () => {
    const stream = openEventStream(`${platform.httpUrl}/events?type=${type}`);
    try {
      await stream.response;
      await eventually(() => stream.comments.length >= 2, "two heartbeats", 5000);
      expect(stream.comments[0]).toBe(": heartbeat");
      expect(stream.messages).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("leaves no subscription, waiter, timer, socket or open call behind after 1,000 connect-then-disconnect cycles", async () => {
    const anchor = openEventStream(`${platform.httpUrl}/events?type=${type}`);
    await anchor.response;
    const before = (await (await fetch(`${platform.httpUrl}/events?type=${type}`)).json()) as { nextCursor: string };
    expect((await publish()).status).toBe(202);
    await anchor.first(1);
    await eventually(() => platform.openHttpCalls() === 1, "only the anchor open");
    const baseline = { stats: platform.channel.stats(), timers: count("Timeout"), sockets: count("TCPSocketWrap") };

    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        // A subscriber that got an event, then went away.
        const s = openEventStream(`${platform.httpUrl}/events?type=${type}`, { "last-event-id": before.nextCursor });
        await s.first(1);
        s.close();
      } else {
        // One that went away as soon as the stream started.
        const s = openEventStream(`${platform.httpUrl}/events?type=${type}`);
        await s.response;
        s.close();
      }
    }
    await eventually(() => platform.openHttpCalls() === 1 && platform.channel.stats().subscriptions === baseline.stats.subscriptions, "streams released");
    await eventually(() => count("TCPSocketWrap") <= baseline.sockets + 2, "sockets closed");
    expect(platform.channel.stats()).toEqual(baseline.stats);
    // A leak would leave one heartbeat timer per cycle (500 or 1,000).
    expect(count("Timeout")).toBeLessThanOrEqual(baseline.timers + 5);
    anchor.close();
    await eventually(() => platform.openHttpCalls() === 0 && platform.channel.stats().subscriptions === 0, "anchor released");
  }, 180_000);

  it("ends open streams at shutdown, long before the grace period", async () => {
    const stream = openEventStream(`${platform.httpUrl}/events?type=${type}`);
    await stream.response;
    const started = Date.now();
    await platform.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
