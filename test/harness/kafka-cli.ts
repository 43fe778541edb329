import { startKafka } from "./kafka";

// `npm run kafka`: a local single-node broker for development, until Ctrl-C.
async function main(): Promise<void> {
  const broker = await startKafka();
  process.stdout.write(
    `Kafka is up on ${broker.brokers.join(",")}\n` +
      `Start the platform on it with:\n  MESHSTREAM_CHANNEL=kafka MESHSTREAM_KAFKA_BROKERS=${broker.brokers.join(",")} npm start\n` +
      "Ctrl-C stops it and deletes its data.\n",
  );
  const stop = () => void broker.destroy().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
