import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOk } from "../../../test/harness/run";

const root = join(__dirname, "..", "..", "..");

// CI fails here when someone edits cesql.peggy without `npm run generate`, or edits gen/ by hand.
describe("generated parser", () => {
  it("is what peggy makes of cesql.peggy now", async () => {
    const out = mkdtempSync(join(tmpdir(), "meshstream-cesql-"));
    try {
      await runOk(join(root, "node_modules", ".bin", "peggy"), ["--format", "commonjs", "--dts", "-o", join(out, "parser.js"), join(__dirname, "cesql.peggy")]);
      for (const name of ["parser.js", "parser.d.ts"]) {
        expect({ name, text: readFileSync(join(__dirname, "gen", name), "utf8") }).toEqual({ name, text: readFileSync(join(out, name), "utf8") });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
