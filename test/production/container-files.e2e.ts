import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PLATFORM_NODE_FLAGS, repoRoot } from "../harness/platform";
import { run } from "../harness/run";
import { tempDir } from "../harness/temp";
import { toolPath } from "../harness/tool-paths";

// No container engine runs on the test machines: the image is not built here
// (the README says how). What can be checked without one is checked: hadolint
// on the Dockerfile, and compose-go (the loader behind `docker compose config`)
// on compose.yaml: its command validates against the compose-spec JSON schema
// and interpolates, but leaves the cross-references to us (depends_on below).
describe("the Dockerfile", () => {
  const hadolint = (file: string) => run(toolPath("HADOLINT"), ["--no-color", file], { cwd: repoRoot, timeoutMs: 30_000 });
  const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

  it("passes hadolint with no finding", async () => {
    const r = await hadolint("Dockerfile");
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("is checked by a hadolint that does find problems", async () => {
    const bad = join(tempDir("hadolint"), "Dockerfile");
    writeFileSync(bad, "FROM node:latest\nRUN cd /app && npm install\n");
    const r = await hadolint(bad);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("DL3007");
  });

  it("runs its last stage as a non-root user, with a health check through gRPC health, from runtime files only", () => {
    expect(finalStage).toMatch(/^USER 1000:1000$/m);
    expect(finalStage).toContain('CMD ["node", "dist/apps/platform/src/healthcheck.js"]');
    expect(finalStage).toContain("npm ci --omit=dev");
    expect(finalStage.match(/^COPY .*$/gm)).toEqual(["COPY package.json package-lock.json ./", "COPY --from=build /src/dist ./dist", "COPY schemas ./schemas"]);
  });

  it("starts the platform with the V8 flags of npm's start scripts and the test harness", () => {
    const flags = PLATFORM_NODE_FLAGS.map((f) => `"${f}", `).join("");
    expect(finalStage).toContain(`CMD ["node", ${flags}"--enable-source-maps", "dist/apps/platform/src/main.js"]`);
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`exec node ${PLATFORM_NODE_FLAGS.join(" ")} -r @swc-node/register apps/platform/src/main.ts`);
    expect(scripts["start:prod"]).toBe(`exec node ${PLATFORM_NODE_FLAGS.join(" ")} --enable-source-maps dist/apps/platform/src/main.js`);
  });
});

describe("compose.yaml", () => {
  const composeConfig = (dir: string) => run(toolPath("COMPOSE_SPEC"), ["--format", "json", "compose.yaml"], { cwd: dir, timeoutMs: 30_000 });

  it("is a valid Compose file: the platform waits for a healthy KRaft Kafka from the official image", async () => {
    const r = await composeConfig(repoRoot);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const model = JSON.parse(r.stdout) as {
      services: Record<string, { image?: string; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; build?: unknown; healthcheck?: unknown }>;
    };
    const { kafka, platform } = model.services;
    expect(kafka?.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(kafka?.environment?.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(kafka?.healthcheck).toBeDefined();
    expect(platform?.build).toBeDefined();
    expect(platform?.depends_on?.kafka?.condition).toBe("service_healthy");
    for (const s of Object.values(model.services)) for (const needed of Object.keys(s.depends_on ?? {})) expect(Object.keys(model.services)).toContain(needed);
    expect(platform?.environment).toMatchObject({ MESHSTREAM_CHANNEL: "kafka", MESHSTREAM_KAFKA_BROKERS: "kafka:9092" });
  });

  it("is checked by a validator that refuses a broken file", async () => {
    const dir = tempDir("compose");
    writeFileSync(join(dir, "compose.yaml"), "services:\n  platform:\n    image: x\n    stop_grace_period: soon\n    helthcheck: {}\n");
    const r = await composeConfig(dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/helthcheck|stop_grace_period/);
  });
});
