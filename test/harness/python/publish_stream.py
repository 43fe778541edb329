"""Publishes events through IngestService.PublishStream with the official Python gRPC client.

The message classes come from the descriptor set the platform serves by
reflection (libs/proto/src/gen/meshstream.binpb): no generated Python code.
Prints one JSON line per response: {"sequence": n, "id": ...} or {"sequence": n, "error": ...}.
"""
import json
import sys

import grpc

from descriptors import message_classes


def main() -> None:
    address, descriptor_set, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    request_class, response_class = message_classes(descriptor_set, "meshstream.v1.PublishStreamRequest", "meshstream.v1.PublishStreamResponse")

    def requests():
        for i in range(count):
            request = request_class()
            request.event.type = "MySource:newPerson"
            # Every tenth person has an impossible age: it must be refused, and the stream go on.
            age = 140 if i % 10 == 9 else i % 100
            request.event.data_json = json.dumps({"first": "Py", "Last": "Thon", "Age": age}).encode()
            yield request

    with grpc.insecure_channel(address) as channel:
        publish_stream = channel.stream_stream(
            "/meshstream.v1.IngestService/PublishStream",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        for response in publish_stream(requests(), timeout=60):
            if response.result.HasField("receipt"):
                print(json.dumps({"sequence": response.sequence, "id": response.result.receipt.id}))
            else:
                print(json.dumps({"sequence": response.sequence, "error": response.result.error.message}))


if __name__ == "__main__":
    main()
