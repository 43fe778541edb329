"""Message classes from the descriptor set the platform serves by reflection
(libs/proto/src/gen/meshstream.binpb): the Python clients need no generated code."""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def message_classes(descriptor_set: str, *names: str):
    """The classes of these fully qualified message names, in order."""
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return [message_factory.GetMessageClass(pool.FindMessageTypeByName(name)) for name in names]
