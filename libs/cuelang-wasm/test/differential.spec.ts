import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CueEngine, type Schema } from "../src";
import { run } from "../../../test/harness/run";
import { toolPath } from "../../../test/harness/tool-paths";
import { tempDir } from "../../../test/harness/temp";

const corpus = join(__dirname, "corpus");
const definition = "#T";

interface Verdict {
  readonly valid: boolean;
  /** Error paths without the definition, e.g. "home.zip"; "" for the document itself. */
  readonly paths: readonly string[];
  readonly messages: readonly string[];
}

// A CUE path as the CLI prints it: identifiers, definitions, indexes and quoted labels joined by dots.
const label = String.raw`(?:[\p{L}_#$][\p{L}\p{N}_$#]*|\d+|"(?:[^"\\]|\\.)*")`;
const headWithPath = new RegExp(String.raw`^(${label}(?:\.${label})*): `, "u");

/** `cue vet -c -d '#T' schema.cue data.json`, the reference the engine must agree with. */
async function cueVet(cue: string, dir: string, schemaFile: string, doc: string, n: number): Promise<Verdict> {
  const data = join(dir, `data-${n}.json`);
  writeFileSync(data, doc);
  const r = await run(cue, ["vet", "-c", "-d", definition, schemaFile, data], { timeoutMs: 60_000 });
  if (r.code === 0) return { valid: true, paths: [], messages: [] };
  // Each error starts at column 0, "path: message" or, at the root, "message";
  // its positions follow, indented. With -d the CLI leaves out the definition.
  const heads = r.stderr.split("\n").filter((l) => l !== "" && !/^\s/.test(l));
  if (heads.length === 0) throw new Error(`cue vet failed without errors to compare:\n${r.stderr}`);
  return {
    valid: false,
    paths: [...new Set(heads.map((l) => headWithPath.exec(l)?.[1] ?? ""))].sort(),
    messages: heads.map((l) => l.replace(/:$/, "")),
  };
}

const cases = readdirSync(corpus)
  .filter((f) => f.endsWith(".cue"))
  .sort()
  .map((f) => ({
    name: f.replace(/\.cue$/, ""),
    schemaFile: join(corpus, f),
    docs: readFileSync(join(corpus, f.replace(/\.cue$/, ".jsonl")), "utf8").split("\n").filter(Boolean),
  }));

const messageDifferences: { case: string; doc: string; engine: string[]; cli: string[] }[] = [];

describe("fidelity to the cue CLI of the same version", () => {
  let engine: CueEngine;
  const dir = tempDir("cue-corpus");

  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 2 });
  });

  afterAll(() => engine.close());

  it("keeps a corpus of at least 300 (schema, document) pairs", () => {
    expect(cases.reduce((n, c) => n + c.docs.length, 0)).toBeGreaterThanOrEqual(300);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s: same verdict and error paths as `cue vet -c`", async (_name, c) => {
    const cue = toolPath("CUE");
    const schema: Schema = await engine.compile(readFileSync(c.schemaFile, "utf8"), c.schemaFile);
    const results = await Promise.all(
      c.docs.map(async (doc, i) => {
        const [expected, violations] = await Promise.all([
          cueVet(cue, dir, c.schemaFile, doc, i + 1000 * cases.indexOf(c)),
          engine.validate({ schema, definition }, doc),
        ]);
        const actual: Verdict = {
          valid: violations.length === 0,
          paths: [...new Set(violations.map((v) => v.path.join(".")))].sort(),
          messages: violations.map((v) => v.message),
        };
        // The CLI prints paths without the definition (-d); the engine keeps it, as the seed does.
        // Same lines in the same order: the first one is the status message a producer sees.
        const ours = actual.messages.map((m) => (m.startsWith("#T: ") ? m.slice(4) : m.replace(/^#T\./, "")).replace(/:$/, ""));
        const theirs = [...expected.messages];
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) messageDifferences.push({ case: c.name, doc, engine: ours, cli: theirs });
        return { doc, expected: { valid: expected.valid, paths: expected.paths }, actual: { valid: actual.valid, paths: actual.paths } };
      }),
    );
    for (const r of results) expect({ doc: r.doc, ...r.actual }).toEqual({ doc: r.doc, ...r.expected });
  }, 120_000);

  // Runs after the corpus above (jest keeps the order within a file).
  it("differs from the CLI's messages only where the README says (corpus/message-differences.json)", () => {
    const known = JSON.parse(readFileSync(join(corpus, "message-differences.json"), "utf8")) as typeof messageDifferences;
    const key = (d: (typeof messageDifferences)[number]) => `${d.case}\n${d.doc}`;
    const sorted = (list: typeof messageDifferences) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(sorted(messageDifferences)).toEqual(sorted(known));
  });
});
