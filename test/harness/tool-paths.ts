/** The path of a tool globalSetup installed (or the shared broker it started); a clear failure when it did not run. */
export function toolPath(name: "GRPCURL" | "PYTHON" | "CUE" | "HADOLINT" | "COMPOSE_SPEC" | "KAFKA_BROKERS" | "CURL" | "CHROMIUM"): string {
  const path = process.env[`MESHSTREAM_TEST_${name}`];
  if (!path) throw new Error(`MESHSTREAM_TEST_${name} is not set: run the suite through 'npm test' so that test/harness/global-setup.ts installs it`);
  return path;
}
