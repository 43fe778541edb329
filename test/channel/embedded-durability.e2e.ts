import { spawn } from "node:child_process";
import { EmbeddedChannel } from "@meshstream/channel";
import { repoRoot } from "../harness/platform";
import { tempDir } from "../harness/temp";

describe("embedded channel durability", () => {
  it("keeps every event acknowledged before a SIGKILL of the process", async () => {
    const dir = tempDir("durable");
    const child = spawn(process.execPath, ["-r", "@swc-node/register", "test/harness/embedded-publisher.ts", dir], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked: string[] = [];
    let rest = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split("\n");
        rest = lines.pop() ?? "";
        acked.push(...lines.filter(Boolean));
        // Kill it mid-stream, while publishes are in flight.
        if (acked.length >= 3000 && child.exitCode === null && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    expect(await exited).toBe("SIGKILL");

    const channel = EmbeddedChannel.open(dir);
    try {
      const stored = new Set<string>();
      let cursor: string | undefined;
      for (;;) {
        const page = await channel.fetch({ products: ["durable"] }, cursor, 1000, 0);
        if (page.deliveries.length === 0) break;
        page.deliveries.forEach((d) => stored.add(d.event.id));
        cursor = page.cursor;
      }
      const missing = acked.filter((id) => !stored.has(id));
      expect(acked.length).toBeGreaterThanOrEqual(3000);
      expect(missing).toEqual([]);
    } finally {
      await channel.close();
    }
  });
});
