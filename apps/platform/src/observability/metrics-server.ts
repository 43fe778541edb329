import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/**
 * A small HTTP listener of its own for Prometheus: GET /metrics, nothing
 * else. Separate from the API listeners so that it can stay on loopback (or
 * a cluster-internal address) whatever the API is exposed on.
 */
export class MetricsServer {
  private readonly server: Server;

  private constructor(registry: Registry) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? undefined : text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(err)}\n`),
      );
    });
  }

  static listen(registry: Registry, host: string, port: number): Promise<MetricsServer> {
    const metrics = new MetricsServer(registry);
    return new Promise((resolve, reject) => {
      metrics.server.once("error", (err) => reject(new Error(`cannot serve metrics on ${host}:${port} (MESHSTREAM_METRICS_LISTEN): ${err.message}`)));
      metrics.server.listen(port, host, () => resolve(metrics));
    });
  }

  get address(): string {
    const a = this.server.address() as AddressInfo;
    return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
