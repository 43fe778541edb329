"""The dead-letter cycle of a durable subscription with the official Python gRPC client.

Creates the subscription (max 2 deliveries), publishes one event, nacks each
delivery of it until it lands in the dead letters, lists them, redrives it,
acknowledges the redelivery and waits until the dead letters are empty.
Message classes come from the descriptor set (no generated code).
Usage: durable_dead_letters.py ADDRESS DESCRIPTOR_SET SUBSCRIPTION TYPE
Prints one JSON line per step.
"""
import json
import queue
import sys
import time

import grpc

from descriptors import message_classes

SERVICE = "/meshstream.v1.SubscriptionService/"


def main() -> None:
    address, descriptor_set, name, event_type = sys.argv[1:5]
    names = [
        "CreateSubscriptionRequest", "CreateSubscriptionResponse", "ConsumeRequest", "ConsumeResponse",
        "ListDeadLettersRequest", "ListDeadLettersResponse", "RedriveRequest", "RedriveResponse",
        "PublishRequest", "PublishResponse",
    ]
    classes = dict(zip(names, message_classes(descriptor_set, *[f"meshstream.v1.{n}" for n in names])))
    out = lambda **fields: print(json.dumps(fields), flush=True)

    with grpc.insecure_channel(address) as channel:
        def unary(path, request, response):
            return channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=classes[response].FromString)(request, timeout=30)

        create = classes["CreateSubscriptionRequest"]()
        create.subscription.name = name
        create.subscription.filter.types.append(event_type)
        create.subscription.start.latest = True
        create.subscription.ack_deadline.seconds = 1
        create.subscription.max_deliveries = 2
        unary(SERVICE + "CreateSubscription", create, "CreateSubscriptionResponse")
        out(step="created")

        publish = classes["PublishRequest"]()
        publish.event.type = event_type
        publish.event.data_json = json.dumps({"first": "Py", "Last": "Thon"}).encode()
        receipt = unary("/meshstream.v1.IngestService/Publish", publish, "PublishResponse").receipt
        out(step="published", id=receipt.id)

        requests = queue.Queue()
        first = classes["ConsumeRequest"]()
        first.subscription = name
        first.max_outstanding = 10
        requests.put(first)

        def request_stream():
            while True:
                item = requests.get()
                if item is None:
                    return
                yield item

        consume = channel.stream_stream(SERVICE + "Consume", request_serializer=lambda m: m.SerializeToString(), response_deserializer=classes["ConsumeResponse"].FromString)
        responses = consume(request_stream(), timeout=60)
        deliveries = 0
        redriven = False
        acked = False
        # After the acknowledgement the client half-closes; the server then ends the stream.
        for response in responses:
            for received in response.events:
                if acked:
                    continue
                event = received.delivery.event
                count = received.delivery_count
                out(step="delivered", id=event.id, count=count, extension=event.attributes["deliverycount"].ce_string)
                reply = classes["ConsumeRequest"]()
                if redriven:
                    reply.ack_ids.append(received.ack_id)
                    requests.put(reply)
                    requests.put(None)
                    acked = True
                    out(step="acked", id=event.id)
                    continue
                reply.nack_ids.append(received.ack_id)
                requests.put(reply)
                deliveries += 1
                if deliveries == 2:
                    letters = wait_for_letters(unary, classes, name, lambda ls: len(ls) == 1)
                    letter = letters[0]
                    out(step="dead-lettered", id=letter.event.id, reason=letter.reason, count=letter.delivery_count,
                        reason_extension=letter.event.attributes["deadletterreason"].ce_string,
                        count_extension=letter.event.attributes["deliverycount"].ce_string)
                    redrive = classes["RedriveRequest"]()
                    redrive.subscription = name
                    redrive.ids.append(letter.id)
                    out(step="redriven", count=unary(SERVICE + "Redrive", redrive, "RedriveResponse").redriven)
                    redriven = True
        left = wait_for_letters(unary, classes, name, lambda ls: len(ls) == 0)
        out(step="dead letters left", count=len(left))


def wait_for_letters(unary, classes, name, ok):
    request = classes["ListDeadLettersRequest"]()
    request.subscription = name
    deadline = time.time() + 20
    while True:
        letters = list(unary(SERVICE + "ListDeadLetters", request, "ListDeadLettersResponse").dead_letters)
        if ok(letters) or time.time() > deadline:
            return letters
        time.sleep(0.05)


if __name__ == "__main__":
    main()
