import { writeSync } from "node:fs";
import { rawProducer } from "./main";

// `raw-producer.ts <brokers> <topic> <records>`: the raw kafkajs producer of our CloudEvent records, in a
// process of its own (what it loads before, with -r, is what it measures); prints its rate and CPU per record.
const [brokers, topic, records] = process.argv.slice(2);
const count = Number(records);
const before = process.cpuUsage();
rawProducer(brokers!.split(","), topic!, true, count).then(
  (rate) => {
    const used = process.cpuUsage(before);
    writeSync(1, JSON.stringify({ rate, cpuMicrosPerRecord: (used.user + used.system) / count }));
    process.exit(0);
  },
  (err: unknown) => {
    writeSync(2, `${String(err)}\n`);
    process.exit(1);
  },
);
