import { randomUUID } from "node:crypto";
import { EmbeddedChannel } from "@meshstream/channel";

// Child process for the durability test: publishes forever and prints the id
// of every event once publish has resolved, until it is killed.
async function main(): Promise<void> {
  const channel = EmbeddedChannel.open(process.argv[2]!);
  for (let batch = 0; ; batch++) {
    const events = Array.from({ length: 20 }, (_, i) => ({
      product: "durable",
      event: { specversion: "1.0" as const, id: randomUUID(), source: "/durability", type: "durable.test", extensions: {}, data: Buffer.from(`{"b":${batch},"i":${i}}`) },
    }));
    await channel.publish(events);
    process.stdout.write(events.map((e) => e.event.id).join("\n") + "\n");
  }
}

void main();
