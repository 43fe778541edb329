"""Message classes from the descriptor set the platform serves by reflection
(libs/proto/src/gen/meshstream.binpb): the Python clients need no generated code."""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def _pool(descriptor_set: str):
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return pool


def message_classes(descriptor_set: str, *names: str):
    """The classes of these fully qualified message names, in order."""
    pool = _pool(descriptor_set)
    return [message_factory.GetMessageClass(pool.FindMessageTypeByName(name)) for name in names]


def method_of(descriptor_set: str, path: str):
    """The descriptor of a method named "package.Service/Method"."""
    service, method = path.split("/")
    return _pool(descriptor_set).FindServiceByName(service).FindMethodByName(method)
