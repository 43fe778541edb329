import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Status } from "@meshstream/proto";
import { loadConfig } from "./config/config";

// The container's HEALTHCHECK: `node dist/apps/platform/src/healthcheck.js [service]`
// asks the platform's own grpc.health.v1 (readiness, "", by default; "liveness"
// for the liveness probe) on the address MESHSTREAM_LISTEN gives, and exits 0
// only when it answers SERVING. No shell, no curl, no extra binary in the image.

function localAddress(host: string, port: number): string {
  const local = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `${local}:${port}`;
}

function check(address: string, service: string, tls: boolean): Promise<Status> {
  // The platform's own listener on this host: TLS when it serves TLS, without checking the
  // certificate's name or issuer (a probe of our own process learns nothing from them).
  const credentials = tls ? grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }) : grpc.credentials.createInsecure();
  // A name to send as TLS's server name: grpc-js sends the target's host, here an IP address, which
  // RFC 6066 forbids and Node warns of (DEP0123) on every run of the probe.
  const client = new grpc.Client(address, credentials, tls ? { "grpc.ssl_target_name_override": "localhost" } : {});
  const request = Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));
  return new Promise<Status>((resolve, reject) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b: Buffer) => b,
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      request,
      { deadline: Date.now() + 3000 },
      (err, response) => (err ? reject(err) : resolve(response!.status)),
    ),
  ).finally(() => client.close());
}

const { listen, tls } = loadConfig(process.env);
const service = process.argv[2] ?? "";
check(localAddress(listen.host, listen.port), service, tls !== undefined).then(
  (status) => {
    process.stdout.write(`${Status[status]}\n`);
    process.exit(status === Status.SERVING ? 0 : 1);
  },
  (err: unknown) => {
    process.stdout.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
