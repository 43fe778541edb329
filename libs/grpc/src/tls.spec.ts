import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AccessError, callerOf, type Credentials } from "@meshstream/access";
import { descriptorSetPath, HealthCheckRequestSchema, HealthCheckResponseSchema, IngestService, PublishRequestSchema, PublishResponseSchema, PublishStreamRequestSchema } from "@meshstream/proto";
import { makeCa, servedFingerprint, type CertFiles, type TestCa } from "../../../test/harness/pki";
import { GrpcServer } from "./grpc-server";
import { TlsFilesError } from "./tls";

const fingerprintOf = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

describe("GrpcServer over TLS, with the authentication hook", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshstream-tls-"));
  let ca: TestCa;
  let otherCa: TestCa;
  let server: GrpcServer;
  let serverCert: CertFiles;
  let clientCert: CertFiles;
  const seen: Credentials[] = [];
  const reloads: ({ ok: true } | { ok: false; error: string })[] = [];
  const files = { cert: join(dir, "tls.pem"), key: join(dir, "tls.key") };

  /** Replaces a served file the way a certificate manager does: write beside, rename over. */
  const replace = (from: string, to: string) => {
    copyFileSync(from, `${to}.new`);
    renameSync(`${to}.new`, to);
  };

  const client = (withCert: boolean, caFile = ca.cert) =>
    new grpc.Client(
      server.address,
      grpc.credentials.createSsl(readFileSync(caFile), withCert ? readFileSync(clientCert.key) : null, withCert ? readFileSync(clientCert.cert) : null),
      { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "localhost" },
    );
  const publish = (c: grpc.Client, id: string, token = "good") =>
    new Promise<{ err: grpc.ServiceError | null; id?: string }>((resolve) => {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      c.makeUnaryRequest(
        "/meshstream.v1.IngestService/Publish",
        (m: unknown) => Buffer.from(toBinary(PublishRequestSchema, m as never)),
        (b: Buffer) => fromBinary(PublishResponseSchema, b),
        create(PublishRequestSchema, { event: { id } }),
        metadata,
        (err, res) => resolve({ err, id: res?.receipt?.id }),
      );
    });

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([makeCa(dir, "ca"), makeCa(dir, "other-ca")]);
    serverCert = await ca.server("server");
    clientCert = await ca.client("hr-app");
    replace(serverCert.cert, files.cert);
    replace(serverCert.key, files.key);
    server = new GrpcServer({
      host: "127.0.0.1",
      port: 0,
      maxMessageBytes: 1024 * 1024,
      shutdownGraceMs: 1000,
      descriptorSetPath,
      tls: { ...files, clientCa: ca.cert },
      onTlsReload: (o) => reloads.push(o),
      authenticate: (credentials) => {
        seen.push(credentials);
        if (credentials.authorization?.[0] !== "Bearer good") throw new AccessError("unauthenticated", "token expired");
        return callerOf("alice", ["alice"], new Set());
      },
    });
    server.register(IngestService, {
      async publish(req, ctx) {
        return { receipt: { id: `${req.event?.id}:${ctx.caller.name}` } };
      },
      async *publishStream(requests, ctx) {
        for await (const r of requests) yield { result: { result: { case: "receipt", value: { id: `${r.event?.id}:${ctx.caller.name}` } } } };
      },
    });
    await server.listen();
    server.markServing();
  });
  afterAll(async () => {
    await server?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (seen.length = 0));

  it("serves TLS and hands the handler the caller the hook made from the metadata and the verified client certificate", async () => {
    const c = client(true);
    try {
      expect(await publish(c, "e1")).toEqual({ err: null, id: "e1:alice" });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toEqual(["Bearer good"]);
      expect(seen[0]!.clientCertificate?.subject?.CN).toBe("hr-app");
    } finally {
      c.close();
    }
  });

  it("gives no client certificate to the hook when the client sent none (the hook decides)", async () => {
    const c = client(false);
    try {
      expect((await publish(c, "e2")).err).toBeNull();
      expect(seen[0]!.clientCertificate).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it("answers the hook's refusal with UNAUTHENTICATED and its message", async () => {
    const c = client(true);
    try {
      const { err } = await publish(c, "e3", "expired");
      expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err?.details).toBe("token expired");
    } finally {
      c.close();
    }
  });

  it("authenticates a stream once, not per message", async () => {
    const c = client(true);
    try {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", "Bearer good");
      const call = c.makeBidiStreamRequest(
        "/meshstream.v1.IngestService/PublishStream",
        (m: unknown) => Buffer.from(toBinary(PublishStreamRequestSchema, m as never)),
        (b: Buffer) => b,
        metadata,
      );
      for (let i = 0; i < 100; i++) call.write(create(PublishStreamRequestSchema, { event: { id: `s${i}` } }));
      call.end();
      let n = 0;
      for await (const _ of call) n++;
      expect(n).toBe(100);
      expect(seen).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it("keeps health open: no hook, no client certificate, no token", async () => {
    const c = client(false);
    try {
      const status = await new Promise<number>((resolve, reject) =>
        c.makeUnaryRequest(
          "/grpc.health.v1.Health/Check",
          (m: unknown) => Buffer.from(toBinary(HealthCheckRequestSchema, m as never)),
          (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
          create(HealthCheckRequestSchema, {}),
          (err, res) => (err ? reject(err) : resolve(res!.status)),
        ),
      );
      expect(status).toBe(1); // SERVING
      expect(seen).toHaveLength(0);
    } finally {
      c.close();
    }
  });

  it("serves a certificate replaced on disk to new connections, and keeps the old one when the new files do not match", async () => {
    expect(await servedFingerprint(server.address, ca.cert)).toBe(fingerprintOf(serverCert.cert));
    // Only the certificate replaced, its key not yet: no valid pair, so the old one stays.
    const renewed = await otherCa.server("renewed");
    replace(renewed.cert, files.cert);
    await waitFor(() => reloads.some((r) => !r.ok));
    expect(reloads.find((r) => !r.ok)).toMatchObject({ error: expect.stringMatching(/do not make a TLS context/) });
    expect(await servedFingerprint(server.address, ca.cert)).toBe(fingerprintOf(serverCert.cert));
    // Now the key too: the new pair is served.
    replace(renewed.key, files.key);
    await waitFor(() => reloads.some((r) => r.ok));
    expect(await servedFingerprint(server.address, otherCa.cert)).toBe(fingerprintOf(renewed.cert));
    // And a gRPC client that trusts only the new CA gets through.
    const c = client(true, otherCa.cert);
    try {
      expect((await publish(c, "after-rotation")).err).toBeNull();
    } finally {
      c.close();
    }
  });

  it("refuses to start with TLS files that cannot be used, naming them", async () => {
    const options = { host: "127.0.0.1", port: 0, maxMessageBytes: 1024, shutdownGraceMs: 100, descriptorSetPath };
    expect(() => new GrpcServer({ ...options, tls: { cert: join(dir, "absent.pem"), key: files.key } })).toThrow(TlsFilesError);
    expect(() => new GrpcServer({ ...options, tls: { cert: join(dir, "absent.pem"), key: files.key } })).toThrow(/absent\.pem: cannot read \(ENOENT\)/);
    expect(() => new GrpcServer({ ...options, tls: { cert: serverCert.cert, key: clientCert.key } })).toThrow(/do not make a TLS context/);
  });
});

async function waitFor(test: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}
