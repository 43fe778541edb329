import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { loadSync } from "@grpc/proto-loader";
import type * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";

/**
 * Serves reflection from the descriptor set `buf build` wrote (it keeps the
 * comments and includes grpc.health.v1), plus the reflection service itself,
 * so that `grpcurl list` shows everything the server answers.
 */
export function addReflection(server: grpc.Server, descriptorSetPath: string): void {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath));
  const ownFiles = set.file.map((f) => toBinary(FileDescriptorProtoSchema, f));
  const reflectionProto = join(dirname(require.resolve("@grpc/reflection/package.json")), "build/proto/grpc/reflection/v1/reflection.proto");
  const infraFiles = Object.values(loadSync(reflectionProto)).flatMap(
    (def) => (def as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? [],
  );
  new ReflectionService({ files: { fileDescriptorProtos: [...ownFiles, ...infraFiles] } } as never).addToServer(server);
}
