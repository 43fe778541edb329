import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { channelContract } from "../channel.contract";
import { EmbeddedChannel } from "./embedded-channel";

describe("EmbeddedChannel", () => {
  channelContract(async () => EmbeddedChannel.open(mkdtempSync(join(tmpdir(), "meshstream-embedded-"))));
});
