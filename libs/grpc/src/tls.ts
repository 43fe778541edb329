import { readFileSync, statSync } from "node:fs";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import * as grpc from "@grpc/grpc-js";

/** PEM files of the listener: its certificate chain and key, and the CA that signs client certificates (mTLS). */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string;
}

/** A TLS file set that cannot be used: the start stops with the reason. */
export class TlsFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsFilesError";
  }
}

/**
 * Server credentials from PEM files that are looked at every second and
 * re-read when they change: a renewed certificate is served to new
 * connections without restart (grpc-js calls setSecureContext on its
 * servers). A changed set that does not make a valid context (a key that no
 * longer matches its certificate while only one of them is replaced) is
 * reported and the previous one kept until the files change again.
 *
 * With a client CA, clients are asked for a certificate but not refused at
 * the handshake: the call's authentication refuses those without a verified
 * one, so that health checks (load balancers, probes) work without one.
 */
export class ReloadingServerCredentials extends grpc.ServerCredentials {
  private stamp: string;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly files: TlsFiles,
    private readonly onReload: (outcome: { ok: true } | { ok: false; error: string }) => void,
    intervalMs = 1000,
  ) {
    super({ requestCert: files.clientCa !== undefined, rejectUnauthorized: false }, read(files));
    this.stamp = stampOf(files);
    this.timer = setInterval(() => this.check(), intervalMs).unref();
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }

  /** Stops looking at the files. */
  close(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    let stamp: string;
    let options: SecureContextOptions;
    try {
      stamp = stampOf(this.files);
      if (stamp === this.stamp) return;
      this.stamp = stamp;
      options = read(this.files);
    } catch (err) {
      this.onReload({ ok: false, error: (err as Error).message });
      return;
    }
    this.updateSecureContextOptions(options);
    this.onReload({ ok: true });
  }
}

function paths(files: TlsFiles): string[] {
  return [files.cert, files.key, ...(files.clientCa ? [files.clientCa] : [])];
}

function stampOf(files: TlsFiles): string {
  return paths(files)
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch (err) {
        throw new TlsFilesError(`${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    })
    .join("|");
}

/** Reads the files and proves they make a context (a key that matches its certificate, PEM that parses). */
function read(files: TlsFiles): SecureContextOptions {
  const load = (p: string) => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw new TlsFilesError(`${p}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const options: SecureContextOptions = { cert: load(files.cert), key: load(files.key), ...(files.clientCa ? { ca: load(files.clientCa) } : {}) };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new TlsFilesError(`${files.cert} and ${files.key}${files.clientCa ? ` and ${files.clientCa}` : ""} do not make a TLS context: ${(err as Error).message}`);
  }
  return options;
}
