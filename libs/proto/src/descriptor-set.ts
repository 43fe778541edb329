import { join } from "node:path";

// The FileDescriptorSet `buf build` writes next to the generated code. It keeps
// the source comments, so reflection clients (grpcurl describe) show them.
export const descriptorSetPath = join(__dirname, "gen", "meshstream.binpb");
