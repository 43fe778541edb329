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
  private readonly stopWatching: () => void;

  constructor(files: TlsFiles, onReload: (outcome: TlsReload) => void, intervalMs = 1000) {
    const loaded = loadTlsFiles(files);
    super({ requestCert: files.clientCa !== undefined, rejectUnauthorized: false }, loaded.options);
    this.stopWatching = watchTlsFiles(files, loaded.stamp, (options) => this.updateSecureContextOptions(options), onReload, intervalMs);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }

  /** Stops looking at the files. */
  close(): void {
    this.stopWatching();
  }
}

export type TlsReload = { ok: true } | { ok: false; error: string };

/** Reads the files now, throwing TlsFilesError when they cannot be used; `stamp` tells later whether they changed. */
export function loadTlsFiles(files: TlsFiles): { options: SecureContextOptions; stamp: string } {
  const options = read(files);
  return { options, stamp: stampOf(files) };
}

/**
 * Looks at the files every `intervalMs` and hands a changed, usable set to
 * `apply` (every listener with TLS, gRPC and HTTP, rotates the same way);
 * returns what stops the watch.
 */
export function watchTlsFiles(files: TlsFiles, since: string, apply: (options: SecureContextOptions) => void, onReload: (outcome: TlsReload) => void, intervalMs = 1000): () => void {
  let stamp = since;
  const timer = setInterval(() => {
    let options: SecureContextOptions;
    try {
      const now = stampOf(files);
      if (now === stamp) return;
      stamp = now;
      options = read(files);
    } catch (err) {
      onReload({ ok: false, error: (err as Error).message });
      return;
    }
    apply(options);
    onReload({ ok: true });
  }, intervalMs).unref();
  return () => clearInterval(timer);
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
