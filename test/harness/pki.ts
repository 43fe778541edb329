import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { join, resolve } from "node:path";
import { runOk } from "./run";

/** A certificate and its key, as PEM files. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** A test (or development) CA that signs server and client certificates, made with the openssl CLI. */
export interface TestCa extends CertFiles {
  /** A server certificate for 127.0.0.1 and localhost. */
  server(name: string): Promise<CertFiles>;
  /** A client certificate whose subject CN is `cn` (the platform's mTLS principal). */
  client(cn: string): Promise<CertFiles>;
}

const openssl = async (args: string[], cwd: string) => {
  try {
    return await runOk("openssl", args, { cwd, timeoutMs: 30_000 });
  } catch (err) {
    if (String(err).includes("cannot run openssl")) throw new Error("making test certificates needs the openssl command (apt-get install openssl)");
    throw err;
  }
};

const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Makes a CA named `name` in `dir` (EC P-256 keys, valid for `days`), or opens the one there with `reuse`. */
export async function makeCa(where: string, name = "ca", days = 2, options: { reuse?: boolean } = {}): Promise<TestCa> {
  const dir = resolve(where);
  const ca = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  if (!options.reuse) await openssl(
    ["req", "-x509", ...newKey, "-keyout", ca.key, "-out", ca.cert, "-days", String(days), "-subj", `/CN=Meshstream ${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir,
  );
  const leaf = async (file: string, cn: string, extensions: string): Promise<CertFiles> => {
    const out = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
    const csr = join(dir, `${file}.csr`);
    const ext = join(dir, `${file}.ext`);
    writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${extensions}\n`);
    await openssl(["req", "-new", ...newKey, "-keyout", out.key, "-out", csr, "-subj", `/CN=${cn}`], dir);
    await openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`, "-days", String(days), "-out", out.cert, "-extfile", ext], dir);
    if (!existsSync(out.cert)) throw new Error(`openssl made no ${out.cert}`);
    rmSync(csr);
    rmSync(ext);
    return out;
  };
  return {
    ...ca,
    server: (file) => leaf(file, "localhost", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost"),
    client: (cn) => leaf(`client-${cn}`, cn, "extendedKeyUsage=clientAuth"),
  };
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to host:port is served (verified against `ca`). */
export function servedFingerprint(address: string, ca: string): Promise<string> {
  const at = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), ca: readFileSync(ca), ALPNProtocols: ["h2"] }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on("error", reject);
  });
}
