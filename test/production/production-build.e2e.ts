import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot, startPlatform, type RunningPlatform } from "../harness/platform";
import { run, runOk } from "../harness/run";
import { tempDir } from "../harness/temp";
import { toolPath } from "../harness/tool-paths";

// What an operator ships: a copy of the tree with only the runtime
// dependencies (`npm ci --omit=dev`) and the compiled dist/, started with
// plain node. dist/ is compiled by the original tree's tooling straight into
// the copy, as the Dockerfile's build stage does for its runtime stage: the
// runtime tree never holds a compiler.
describe("the production build, after `npm ci --omit=dev` in a fresh copy", () => {
  let copy: string;
  let platform: RunningPlatform;
  const person = (age: number) => JSON.stringify({ event: { type: "MySource:newPerson", data: { first: "John", Last: "Doe", Age: age } } });
  const publish = (input: string, ...flags: string[]) =>
    run(toolPath("GRPCURL"), ["-plaintext", ...flags, "-d", "@", platform.address, "meshstream.v1.IngestService/Publish"], { input, timeoutMs: 20_000 });

  beforeAll(async () => {
    copy = tempDir("production");
    const { stdout } = await runOk("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot });
    for (const file of stdout.split("\0").filter((f) => f && existsSync(join(repoRoot, f)))) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(copy, file));
    }
    await Promise.all([
      runOk("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: copy, timeoutMs: 120_000 }),
      runOk(process.execPath, ["-r", "@swc-node/register", "apps/platform/build.ts", join(copy, "dist")], { cwd: repoRoot, timeoutMs: 120_000 }),
    ]);
    platform = await startPlatform({}, 30_000, { root: copy });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it("has no development dependency to run on", () => {
    for (const dev of ["@swc/core", "@swc-node/register", "typescript", "jest"]) expect(existsSync(join(copy, "node_modules", dev))).toBe(false);
    expect(existsSync(join(copy, "node_modules", "@grpc", "grpc-js"))).toBe(true);
  });

  it("accepts the seed's good event", async () => {
    const r = await publish(person(40));
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ receipt: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), dataschema: "meshstream:schema/MySource%3AnewPerson/1" } });
  });

  it("refuses Age 140 with the seed's message", async () => {
    const r = await publish(person(140), "-format-error");
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 3, message: "#Identity.Age: invalid value 140 (out of bound <130)" });
  });

  it("answers the image's HEALTHCHECK script: exit 0 when SERVING, 1 otherwise", async () => {
    const healthcheck = (...args: string[]) =>
      run(process.execPath, ["dist/apps/platform/src/healthcheck.js", ...args], { cwd: copy, env: { ...process.env, MESHSTREAM_LISTEN: platform.address }, timeoutMs: 20_000 });
    const ready = await healthcheck();
    expect([ready.code, ready.stdout.trim()]).toEqual([0, "SERVING"]);
    const unknown = await healthcheck("no.such.Service");
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain("unhealthy: 5 NOT_FOUND");
  });

  it("drains and exits 0 on SIGTERM", async () => {
    expect(await platform.stop("SIGTERM")).toBe(0);
  });
});
