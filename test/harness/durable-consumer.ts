import type * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { ConsumeRequestSchema, SubscriptionService, type ConsumeRequest, type ConsumeResponse, type ReceivedEvent } from "@meshstream/proto";
import type { TestClient } from "./grpc-client";

export type Decision = "ack" | "nack" | "hold";

/**
 * A consumer of a durable subscription over a real grpc-js bidi stream, as a
 * user would write one: it decides per delivery, and sends its
 * acknowledgements (batched per response) on the same stream.
 */
export class DurableConsumer {
  readonly call: grpc.ClientDuplexStream<ConsumeRequest, ConsumeResponse>;
  /** Ends with the stream: its status (OK, CANCELLED, UNAVAILABLE…). */
  readonly ended: Promise<grpc.StatusObject>;

  constructor(client: TestClient, subscription: string, maxOutstanding: number, decide: (r: ReceivedEvent) => Decision, metadata?: grpc.Metadata) {
    this.call = client.bidiStream(SubscriptionService.method.consume, metadata);
    this.call.write(create(ConsumeRequestSchema, { subscription, maxOutstanding }));
    this.call.on("data", (res: ConsumeResponse) => {
      const ackIds: string[] = [];
      const nackIds: string[] = [];
      for (const r of res.events) {
        const d = decide(r);
        if (d === "ack") ackIds.push(r.ackId);
        else if (d === "nack") nackIds.push(r.ackId);
      }
      if ((ackIds.length > 0 || nackIds.length > 0) && this.call.writable) this.call.write(create(ConsumeRequestSchema, { ackIds, nackIds }));
    });
    this.ended = new Promise((resolve) => {
      this.call.on("status", resolve);
      this.call.on("error", () => undefined);
    });
  }

  /** As a killed consumer: the stream is reset, nothing more is acknowledged. */
  kill(): void {
    this.call.cancel();
  }

  /** Half-closes: the platform ends the stream, giving what this consumer held to others. */
  leave(): void {
    this.call.end();
  }
}
