import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { runOk } from "../../../test/harness/run";
import { tempDir } from "../../../test/harness/temp";

const root = join(__dirname, "..", "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

// CI fails here when someone edits proto/ without running `npm run generate`,
// or edits generated code by hand.
describe("generated code", () => {
  it("is what `buf generate` and `buf build` produce from proto/ now", async () => {
    const out = tempDir("gen");
    await runOk(buf, ["generate", "--output", out], { cwd: root });
    await runOk(buf, ["build", "-o", join(out, "meshstream.binpb")], { cwd: root });
    const committed = join(root, "libs/proto/src/gen");
    const fresh = join(out, "libs/proto/src/gen");
    const names = (dir: string) => files(dir).map((f) => relative(dir, f)).filter((f) => f !== "meshstream.binpb").sort();
    expect(names(committed)).toEqual(names(fresh));
    for (const name of names(fresh)) {
      expect({ name, text: readFileSync(join(committed, name), "utf8") }).toEqual({ name, text: readFileSync(join(fresh, name), "utf8") });
    }
    expect(readFileSync(join(committed, "meshstream.binpb")).equals(readFileSync(join(out, "meshstream.binpb")))).toBe(true);
  });

  // proto/grpc/health/v1/health.proto is grpc's own file as grpc-proto publishes it (no npm package carries it now).
  it("vendors google.rpc unchanged from google-proto-files", () => {
    const pairs = [
      ["proto/google/rpc/status.proto", "node_modules/google-proto-files/google/rpc/status.proto"],
      ["proto/google/rpc/error_details.proto", "node_modules/google-proto-files/google/rpc/error_details.proto"],
    ];
    for (const [ours, theirs] of pairs) expect(readFileSync(join(root, ours!), "utf8")).toBe(readFileSync(join(root, theirs!), "utf8"));
  });
});
