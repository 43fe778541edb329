"""Subscribes through SubscribeService.Subscribe with the official Python gRPC client.

The message classes come from the descriptor set the platform serves by
reflection (libs/proto/src/gen/meshstream.binpb): no generated Python code.
Usage: subscribe.py ADDRESS DESCRIPTOR_SET TYPE COUNT
Prints {"ready": true} once the server has answered with its headers, then one
JSON line per delivery ({"id", "type", "position", "data"}) and exits after COUNT.
"""
import json
import sys

import grpc

from descriptors import message_classes


def main() -> None:
    address, descriptor_set, event_type, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    request_class, response_class = message_classes(descriptor_set, "meshstream.v1.SubscribeRequest", "meshstream.v1.SubscribeResponse")

    request = request_class()
    request.filter.types.append(event_type)
    request.start.latest = True
    with grpc.insecure_channel(address) as channel:
        subscribe = channel.unary_stream(
            "/meshstream.v1.SubscribeService/Subscribe",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        call = subscribe(request, timeout=120)
        call.initial_metadata()
        print(json.dumps({"ready": True}), flush=True)
        for received, response in enumerate(call, start=1):
            event = response.delivery.event
            print(json.dumps({
                "id": event.id,
                "type": event.type,
                "position": response.delivery.position,
                "data": event.binary_data.decode() if event.HasField("binary_data") else event.text_data,
            }), flush=True)
            if received == count:
                call.cancel()
                break


if __name__ == "__main__":
    main()
