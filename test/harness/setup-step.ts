/**
 * Runs one set-up step of the test harness and says so, with its time: a
 * first run on a new machine spends a minute or more fetching and building
 * tools, and a silent minute looks like a hang.
 */
export async function setupStep<T>(name: string, make: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  say(`${name}: setting up…`);
  try {
    const result = await make();
    say(`${name}: ready in ${elapsed()}`);
    return result;
  } catch (err) {
    say(`${name}: failed after ${elapsed()}`);
    throw err;
  }
}

function say(line: string): void {
  process.stderr.write(`[meshstream set-up] ${line}\n`);
}
