import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CueEngine } from "../src";
import { runOk } from "../../../test/harness/run";
import { toolPath } from "../../../test/harness/tool-paths";
import { tempDir } from "../../../test/harness/temp";

const seed = `#Identity: {
	// first name of the person
	first: =~"[A-Z].*"
	// Last name of the person
	Last: =~"[A-Z].*"
	// Age of the person
	Age?: number & <130
}
`;

describe("OpenAPI export", () => {
  it("carries the same schema objects as `cue export --out=openapi` for the seed schema", async () => {
    const file = join(tempDir("cue-openapi"), "identity.cue");
    writeFileSync(file, seed);
    const cli = JSON.parse((await runOk(toolPath("CUE"), ["export", "--out=openapi", file])).stdout) as Record<string, unknown>;
    const engine = await CueEngine.start({ workers: 1 });
    try {
      const ours = await engine.openApi(await engine.compile(seed, "identity.cue"));
      expect(ours).toEqual(cli);
      // What the seed article shows, spelled out.
      expect(ours).toMatchObject({
        openapi: "3.0.0",
        components: {
          schemas: {
            Identity: {
              type: "object",
              required: ["first", "Last"],
              properties: {
                first: { description: "first name of the person", type: "string", pattern: "[A-Z].*" },
                Last: { description: "Last name of the person", type: "string", pattern: "[A-Z].*" },
                Age: { description: "Age of the person", type: "number", maximum: 130, exclusiveMaximum: true },
              },
            },
          },
        },
      });
    } finally {
      await engine.close();
    }
  });
});
