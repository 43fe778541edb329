"""Publishes one event whose data holds a huge invalid value, with the official Python gRPC client.

Usage: publish_invalid.py ADDRESS DESCRIPTOR_SET SIZE
The event is MySource:newPerson with `first` = SIZE lower-case letters (the
schema wants a capital first). Prints one JSON line: the status code name,
the message, the size of grpc-status-details-bin and the seconds taken.
"""
import json
import sys
import time

import grpc

from descriptors import message_classes


def main() -> None:
    address, descriptor_set, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    request_class, response_class = message_classes(descriptor_set, "meshstream.v1.PublishRequest", "meshstream.v1.PublishResponse")
    request = request_class()
    request.event.type = "MySource:newPerson"
    request.event.data_json = json.dumps({"first": "a" * size, "Last": "Doe"}).encode()
    with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 8 * 1024 * 1024)]) as channel:
        publish = channel.unary_unary(
            "/meshstream.v1.IngestService/Publish",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        started = time.monotonic()
        try:
            publish(request, timeout=30)
            result = {"code": "OK"}
        except grpc.RpcError as e:
            details = [v for k, v in (e.trailing_metadata() or ()) if k == "grpc-status-details-bin"]
            result = {"code": e.code().name, "message": e.details(), "details_bytes": len(details[0]) if details else 0}
        result["seconds"] = time.monotonic() - started
        print(json.dumps(result))


if __name__ == "__main__":
    main()
