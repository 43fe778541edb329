// Test processes run kafkajs with the platform's fix (jest's setupFiles; this process is not one of
// theirs): as released, kafkajs 2.2.4 loops a timer with a negative delay, which Node 24 prints as a
// TimeoutNegativeWarning. Not in the harness's kafka.ts: the benchmarks start brokers with it too, and
// their raw kafkajs baseline stays kafkajs as released.
import "../../libs/channel/src/kafka/request-queue-fix";
import { ensureChromium, ensureCurl } from "./debian";
import { startKafka, type KafkaBroker } from "./kafka";
import { setupStep } from "./setup-step";
import { ensureComposeSpec, ensureCue, ensureGrpcurl, ensureHadolint, ensurePython } from "./tools";

/**
 * Fetches the real tools the e2e suites drive and starts the Kafka broker the
 * suites share, once per run, before any test starts, all at once; a tool that
 * cannot be had fails the run with the reason.
 */
export default async function globalSetup(): Promise<void> {
  // apt-get takes one lock: Debian's tools one after the other, beside the rest.
  const debian = ensureCurl().then(async (curl) => ({ curl, chromium: await ensureChromium() }));
  const [grpcurl, python, cue, hadolint, composeSpec, kafka, { curl, chromium }] = await Promise.all([
    ensureGrpcurl(),
    ensurePython(),
    ensureCue(),
    ensureHadolint(),
    ensureComposeSpec(),
    setupStep("Kafka broker for the run", startKafka),
    debian,
  ]);
  (globalThis as { meshstreamKafka?: KafkaBroker }).meshstreamKafka = kafka;
  process.env.MESHSTREAM_TEST_KAFKA_BROKERS = kafka.brokers.join(",");
  process.env.MESHSTREAM_TEST_GRPCURL = grpcurl;
  process.env.MESHSTREAM_TEST_PYTHON = python;
  process.env.MESHSTREAM_TEST_CUE = cue;
  process.env.MESHSTREAM_TEST_CURL = curl;
  process.env.MESHSTREAM_TEST_CHROMIUM = chromium;
  process.env.MESHSTREAM_TEST_HADOLINT = hadolint;
  process.env.MESHSTREAM_TEST_COMPOSE_SPEC = composeSpec;
}
