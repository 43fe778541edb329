import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CueEngine, type Schema } from "@meshstream/cuelang-wasm";
import fc from "fast-check";
import { run } from "../../../test/harness/run";
import { toolPath } from "../../../test/harness/tool-paths";
import { compileValidator } from "../src/fast-validator";
import { documents, toText } from "./documents";

/**
 * The fast path against the pinned `cue` CLI, on every schema of the
 * engine's corpus and on generated documents (fast-check, fixed seed):
 *
 * - every document the fast path accepts, `cue vet -c` accepts (they are
 *   checked in batches: one run of the CLI over many files exits 0 only
 *   when each is valid);
 * - the platform's verdict (fast path, else the engine) is the CLI's: the
 *   documents it finds valid are checked in batches too, and a sample of
 *   those it refuses one by one, with the first error line compared.
 */
const corpus = join(__dirname, "../../cuelang-wasm/test/corpus");
const definition = "#T";
const perSchema = Number(process.env.MESHSTREAM_FASTPATH_DOCS ?? 1000);
const refusedSampled = 12;
const seed = 20260316;
const batchFiles = 400;

const schemas = readdirSync(corpus)
  .filter((f) => f.endsWith(".cue"))
  .sort();

interface Outcome {
  readonly name: string;
  readonly text: string;
  readonly fast: boolean;
  /** The engine's first message without the definition, "" when valid (fast-accepted documents are not sent to it). */
  readonly engine?: string;
}

/** `cue vet -c -d '#T' schema files...` exits 0 only when every file is valid; the files that are not, by bisection. */
async function invalidAmong(cue: string, schemaFile: string, files: readonly string[], cwd: string): Promise<string[]> {
  if (files.length === 0) return [];
  const r = await run(cue, ["vet", "-c", "-d", definition, schemaFile, ...files], { cwd, timeoutMs: 120_000 });
  if (r.code === 0) return [];
  if (files.length === 1) return [...files];
  const half = Math.ceil(files.length / 2);
  return [...(await invalidAmong(cue, schemaFile, files.slice(0, half), cwd)), ...(await invalidAmong(cue, schemaFile, files.slice(half), cwd))];
}

/** The CLI's first error line, "" when the document is valid. */
async function firstErrorLine(cue: string, schemaFile: string, file: string, cwd: string): Promise<string> {
  const r = await run(cue, ["vet", "-c", "-d", definition, schemaFile, file], { cwd, timeoutMs: 60_000 });
  if (r.code === 0) return "";
  return (r.stderr.split("\n").find((l) => l !== "" && !/^\s/.test(l)) ?? r.stderr).replace(/:$/, "");
}

const withoutDefinition = (m: string) => (m.startsWith(`${definition}: `) ? m.slice(definition.length + 2) : m.replace(`${definition}.`, "")).replace(/:$/, "");
// A document that is not JSON (for CUE: a byte-order mark inside it) is refused by both, each naming the file its own way.
const sameLine = (cli: string, platform: string) => cli === platform || (cli.startsWith("invalid JSON for file") && platform.includes("invalid JSON for file"));

describe("the fast path never accepts what `cue vet -c` refuses", () => {
  let engine: CueEngine;
  const dir = mkdtempSync(join(tmpdir(), "fast-path-"));
  const totals = { schemas: 0, complete: 0, documents: 0, fast: 0, engine: 0, valid: 0, cliRuns: 0 };

  beforeAll(async () => {
    engine = await CueEngine.start({ workers: 2 });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
    // The figures the issue asks for: how much the fast path decides.
    process.stdout.write(
      `fast path: ${totals.schemas} schemas (${totals.complete} fully covered), ${totals.documents} documents: ` +
        `${totals.fast} accepted by the fast path, ${totals.engine} sent to the engine; ${totals.valid} valid in all; ${totals.cliRuns} runs of cue vet\n`,
    );
  });

  it.each(schemas)("%s", async (file) => {
    const cue = toolPath("CUE");
    const schemaFile = join(corpus, file);
    const name = file.replace(/\.cue$/, "");
    const schema: Schema = await engine.compile(readFileSync(schemaFile, "utf8"), file);
    const target = { schema, definition };
    const program = await engine.validatorProgram(target);
    const fast = compileValidator(program);
    const samples = fc.sample(documents(program), { seed: seed + schemas.indexOf(file), numRuns: perSchema });
    const texts = [...new Set(samples.map((s) => toText(s.doc, s.ascii, s.bom)))];

    const outcomes: Outcome[] = await Promise.all(
      texts.map(async (text, i): Promise<Outcome> => {
        const bytes = Buffer.from(text);
        const docName = `data-${name}-${i}.json`;
        writeFileSync(join(dir, docName), bytes);
        if (fast.accepts(bytes)) return { name: docName, text, fast: true };
        const violations = await engine.validate(target, bytes).catch((err: Error) => [{ message: err.message }]);
        return { name: docName, text, fast: false, engine: violations[0] ? withoutDefinition(violations[0].message) : "" };
      }),
    );
    totals.schemas++;
    if (fast.complete) totals.complete++;
    totals.documents += outcomes.length;
    totals.fast += outcomes.filter((o) => o.fast).length;
    totals.engine += outcomes.filter((o) => !o.fast).length;

    // Everything the platform accepts, the CLI accepts: the fast path's and the engine's.
    const accepted = outcomes.filter((o) => o.fast || o.engine === "");
    totals.valid += accepted.length;
    const refusedByCli: string[] = [];
    for (let i = 0; i < accepted.length; i += batchFiles) {
      totals.cliRuns++;
      refusedByCli.push(...(await invalidAmong(cue, schemaFile, accepted.slice(i, i + batchFiles).map((o) => o.name), dir)));
    }
    const wrong = accepted.filter((o) => refusedByCli.includes(o.name)).map((o) => ({ document: o.text, tier: o.fast ? "fast path" : "engine" }));
    expect(wrong).toEqual([]);

    // What the platform refuses, the CLI refuses with the same first line (a sample, one run each).
    const refused = outcomes.filter((o) => !o.fast && o.engine !== "");
    const sample = refused.filter((_, i) => i % Math.max(1, Math.floor(refused.length / refusedSampled)) === 0).slice(0, refusedSampled);
    totals.cliRuns += sample.length;
    const compared = await Promise.all(sample.map(async (o) => ({ document: o.text, cli: await firstErrorLine(cue, schemaFile, o.name, dir), platform: o.engine ?? "" })));
    expect(compared.filter((c) => !sameLine(c.cli, c.platform))).toEqual([]);
  }, 300_000);
});
