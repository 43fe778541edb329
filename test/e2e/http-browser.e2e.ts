import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { EmbeddedChannel } from "@meshstream/channel";
import { IngestService } from "@meshstream/proto";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../harness/chromium";
import { TestClient } from "../harness/grpc-client";
import { startPlatform, type RunningPlatform } from "../harness/platform";
import { freePort } from "../harness/ports";
import { tempDir } from "../harness/temp";

const type = "MySource:newPerson";

/** The page a web developer would write: an EventSource on the platform, cross-origin. */
const page = (eventsUrl: string) => `<!doctype html>
<meta charset="utf-8"><title>meshstream events</title>
<ul id="events"></ul>
<script>
  window.received = [];
  window.opened = 0;
  const source = new EventSource(${JSON.stringify(eventsUrl)});
  source.onopen = () => window.opened++;
  source.addEventListener(${JSON.stringify(type)}, (e) => {
    const event = JSON.parse(e.data);
    window.received.push({ position: e.lastEventId, id: event.id, last: event.data.Last });
    document.getElementById("events").insertAdjacentHTML("beforeend", "<li>" + event.data.Last + "</li>");
  });
</script>`;

describe("a browser subscribes with EventSource", () => {
  let browser: BrowserContext;
  let pageServer: Server;
  let platform: RunningPlatform | undefined;

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await new Promise((r) => (pageServer ? pageServer.close(r) : r(undefined)));
  });

  it("receives events published over gRPC, and after the server drops the stream resumes with Last-Event-ID, losing nothing", async () => {
    const dataDir = tempDir("browser-data");
    const httpPort = await freePort();
    pageServer = createServer();
    await new Promise<void>((r) => pageServer.listen(0, "127.0.0.1", r));
    const pageOrigin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;
    const env = { MESHSTREAM_DATA_DIR: dataDir, MESHSTREAM_HTTP_LISTEN: `127.0.0.1:${httpPort}`, MESHSTREAM_HTTP_CORS_ORIGINS: pageOrigin };
    platform = await startPlatform(env);
    pageServer.on("request", (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(page(`${platform!.httpUrl}/events?type=${type}`)));

    browser = await launchChromium();
    const tab: Page = await browser.newPage();
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => (globalThis as unknown as { opened: number }).opened === 1);
    const received = () => tab.evaluate(() => (globalThis as unknown as { received: { position: string; id: string; last: string }[] }).received);

    const ids: string[] = [];
    const publish = async (address: string, names: string[]) => {
      const client = new TestClient(address);
      try {
        for (const last of names) {
          const { receipt } = await client.unary(IngestService.method.publish, { event: { type, payload: { case: "dataJson", value: Buffer.from(JSON.stringify({ first: "Ann", Last: last })) } } });
          ids.push(receipt!.id);
        }
      } finally {
        client.close();
      }
    };
    await publish(platform.address, ["A", "B", "C"]);
    await tab.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length === 3);

    // The server goes away: its streams end, and the page's EventSource keeps trying to reconnect.
    await platform.stop();
    // While it is down, three more events reach the log it will serve from. Only a reconnection
    // that says where it stopped (Last-Event-ID) finds them: a new subscription starts at the latest.
    const log = EmbeddedChannel.open(dataDir);
    const offline = ["D", "E", "F"].map((last) => ({
      product: "people",
      event: { specversion: "1.0" as const, id: randomUUID(), source: "/people", type, datacontenttype: "application/json", extensions: {}, data: Buffer.from(JSON.stringify({ first: "Ann", Last: last })) },
    }));
    await log.publish(offline);
    await log.close();
    ids.push(...offline.map((o) => o.event.id));

    platform = await startPlatform(env);
    await tab.waitForFunction(() => (globalThis as unknown as { opened: number }).opened === 2, undefined, { timeout: 30_000 });
    await publish(platform.address, ["G", "H"]);
    await tab.waitForFunction(() => (globalThis as unknown as { received: unknown[] }).received.length >= 8, undefined, { timeout: 30_000 });
    // Give a duplicate the time to show up, if there were one.
    await new Promise((r) => setTimeout(r, 300));

    const got = await received();
    expect(got.map((e) => e.last)).toEqual(["A", "B", "C", "D", "E", "F", "G", "H"]);
    expect(got.map((e) => e.id)).toEqual(ids);
    expect(new Set(got.map((e) => e.position)).size).toBe(8);
    expect(await tab.locator("#events li").allTextContents()).toEqual(["A", "B", "C", "D", "E", "F", "G", "H"]);
  }, 180_000);
});
