import { channelContract } from "../channel.contract";
import { EmbeddedChannel } from "./embedded-channel";
import { tempDir } from "../../../../test/harness/temp";

describe("EmbeddedChannel", () => {
  channelContract(async () => EmbeddedChannel.open(tempDir("embedded")), {
    storage: () => {
      const dir = tempDir("embedded");
      return async () => EmbeddedChannel.open(dir);
    },
  });
});
