import * as grpc from "@grpc/grpc-js";
import { noDelay } from "./no-delay";

describe("noDelay", () => {
  it("finds the HTTP/2 server of a bound grpc-js server (where it turns Nagle off)", async () => {
    const server = new grpc.Server();
    await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
    try {
      expect(noDelay(server)).toBe(1);
    } finally {
      server.forceShutdown();
    }
  });
});
