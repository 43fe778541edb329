import { REDACTED, redact } from "./redact";

describe("redact", () => {
  const secrets = ["s3cr3t-jwt", "hunter2", "kafka-pw", "tok-123", "PRIVATEBYTES", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "url-pass", "bearer-abc"];
  const config = {
    listen: { host: "0.0.0.0", port: 50051 },
    kafka: { brokers: ["k1:9092"], sasl: { mechanism: "plain", username: "svc", password: "kafka-pw" } },
    jwt: { secret: "s3cr3t-jwt", issuer: "https://issuer.example", audience: "meshstream", jwksUrl: "https://svc:url-pass@idp.example/jwks" },
    tls: { certFile: "/etc/tls/cert.pem", keyFile: "/etc/tls/key.pem", key: "-----BEGIN PRIVATE KEY-----\nPRIVATEBYTES\n-----END PRIVATE KEY-----", requireClientCert: true },
    adminPassword: "hunter2",
    apiToken: "tok-123",
    somethingInnocent: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
    headers: [{ name: "authorization", authorization: "bearer-abc" }],
    dataDir: "/data",
  };

  it("hides every secret, by name or by shape", () => {
    const text = JSON.stringify(redact(config));
    for (const s of secrets) expect(text).not.toContain(s);
  });

  it("keeps what an operator needs: addresses, paths, names, flags", () => {
    expect(redact(config)).toMatchObject({
      listen: { host: "0.0.0.0", port: 50051 },
      kafka: { brokers: ["k1:9092"], sasl: { mechanism: REDACTED, username: REDACTED, password: REDACTED } },
      jwt: { secret: REDACTED, issuer: "https://issuer.example", audience: "meshstream", jwksUrl: `https://svc:${encodeURIComponent(REDACTED)}@idp.example/jwks` },
      tls: { certFile: "/etc/tls/cert.pem", keyFile: "/etc/tls/key.pem", key: REDACTED, requireClientCert: true },
      adminPassword: REDACTED,
      apiToken: REDACTED,
      somethingInnocent: REDACTED,
      dataDir: "/data",
    });
  });

  it("leaves empty secrets visible as empty, so a missing one can be seen", () => {
    expect(redact({ jwt: { secret: "" } })).toEqual({ jwt: { secret: "" } });
  });
});
