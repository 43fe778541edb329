import { existsSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { makeSigningKey, readSigningKey, signToken, writeJwks, writeSigningKey } from "./jwt";
import { makeCa } from "./pki";

// npm run dev-auth -- init | token <sub> [--groups a,b] [--expires 1h] | client-cert <cn>
// Local key pair, JWKS, tokens and a TLS CA for trying access control on a development machine.
const usage = `usage:
  npm run dev-auth -- init                       signing key, JWKS, a CA, a server and a client certificate in ${".meshstream/dev-auth"}
  npm run dev-auth -- token <sub> [--groups g1,g2] [--expires 1h]   prints a token for <sub>
  npm run dev-auth -- client-cert <cn>           a client certificate whose CN is <cn> (an mTLS principal)
options: --dir <dir> (default .meshstream/dev-auth)`;

export const devIssuer = "meshstream-dev";
export const devAudience = "meshstream";

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { dir: { type: "string", default: ".meshstream/dev-auth" }, groups: { type: "string", default: "" }, expires: { type: "string", default: "1h" } },
  });
  const [command, name] = positionals;
  const dir = values.dir;
  const keyFile = join(dir, "signing-key.jwk.json");
  switch (command) {
    case "init": {
      mkdirSync(dir, { recursive: true });
      const key = await makeSigningKey(`dev-${Date.now().toString(36)}`);
      writeSigningKey(keyFile, key);
      writeJwks(join(dir, "jwks.json"), [key]);
      const ca = await makeCa(dir, "ca", 30);
      const server = await ca.server("server");
      const client = await ca.client("dev-client");
      const rel = (p: string) => (relative(process.cwd(), p).startsWith("..") ? p : relative(process.cwd(), p));
      process.stdout.write(
        [
          `made in ${dir}: ${rel(keyFile)} (private: keep it here), jwks.json, ca.pem, server.pem/.key (127.0.0.1, localhost), ${rel(client.cert)}/.key (CN dev-client)`,
          "",
          "start the platform with TLS, client certificates and JWT:",
          `  MESHSTREAM_TLS_CERT=${rel(server.cert)} MESHSTREAM_TLS_KEY=${rel(server.key)} MESHSTREAM_TLS_CLIENT_CA=${rel(ca.cert)} \\`,
          `  MESHSTREAM_AUTH=jwt MESHSTREAM_JWKS=${rel(join(dir, "jwks.json"))} MESHSTREAM_JWT_ISSUER=${devIssuer} MESHSTREAM_JWT_AUDIENCE=${devAudience} \\`,
          "  MESHSTREAM_ADMINS=admin npm start",
          "",
          "then: TOKEN=$(npm run -s dev-auth -- token alice --groups people-team)",
          "",
        ].join("\n"),
      );
      return;
    }
    case "token": {
      if (!name) throw new Error(`token needs a subject\n${usage}`);
      if (!existsSync(keyFile)) throw new Error(`${keyFile} does not exist: run 'npm run dev-auth -- init' first`);
      const groups = values.groups.split(",").map((g) => g.trim()).filter(Boolean);
      const token = await signToken(readSigningKey(keyFile), { sub: name, ...(groups.length ? { groups } : {}) }, { issuer: devIssuer, audience: devAudience, expiresIn: values.expires });
      process.stdout.write(`${token}\n`);
      return;
    }
    case "client-cert": {
      if (!name) throw new Error(`client-cert needs a CN\n${usage}`);
      if (!existsSync(join(dir, "ca.key"))) throw new Error(`${join(dir, "ca.key")} does not exist: run 'npm run dev-auth -- init' first`);
      const ca = await makeCa(dir, "ca", 30, { reuse: true });
      const cert = await ca.client(name);
      process.stdout.write(`${cert.cert}\n${cert.key}\n`);
      return;
    }
    default:
      throw new Error(usage);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
