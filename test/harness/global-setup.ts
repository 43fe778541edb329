import { ensureCue, ensureGrpcurl, ensurePython } from "./tools";

/**
 * Fetches the real tools the e2e suites drive, once per run, before any test
 * starts; a tool that cannot be had fails the run with the reason.
 */
export default async function globalSetup(): Promise<void> {
  const [grpcurl, python, cue] = await Promise.all([ensureGrpcurl(), ensurePython(), ensureCue()]);
  process.env.MESHSTREAM_TEST_GRPCURL = grpcurl;
  process.env.MESHSTREAM_TEST_PYTHON = python;
  process.env.MESHSTREAM_TEST_CUE = cue;
}
