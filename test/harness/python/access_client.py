"""Calls one Meshstream method over TLS with the official Python gRPC client, as a
secured client would: ssl_channel_credentials (the CA, and a client certificate for
mTLS) composed with call credentials that send `authorization: Bearer <token>`.

Usage: access_client.py ADDRESS DESCRIPTOR_SET CA CERT KEY TOKEN METHOD MAX REQUEST_JSON...
  CERT, KEY, TOKEN: "-" for none. METHOD: e.g. meshstream.v1.IngestService/PublishStream.
  MAX: stop after this many responses of a server stream. Several REQUEST_JSON for a client stream.
Prints one JSON line per response ({"response": ...}), then {"code": "OK"} or the error's
{"code": "PERMISSION_DENIED", "details": "..."}.
"""
import json
import sys

import grpc
from google.protobuf import json_format

from descriptors import message_classes, method_of


def main() -> None:
    address, descriptor_set, ca, cert, key, token, method, most = sys.argv[1:9]
    bodies = sys.argv[9:]
    descriptor = method_of(descriptor_set, method)
    request_class, response_class = message_classes(descriptor_set, descriptor.input_type.full_name, descriptor.output_type.full_name)
    requests = [json_format.Parse(body, request_class()) for body in bodies]

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca),
        private_key=None if key == "-" else read(key),
        certificate_chain=None if cert == "-" else read(cert),
    )
    if token != "-":
        credentials = grpc.composite_channel_credentials(credentials, grpc.access_token_call_credentials(token))

    kind = ("stream" if descriptor.client_streaming else "unary") + "_" + ("stream" if descriptor.server_streaming else "unary")
    with grpc.secure_channel(address, credentials) as channel:
        call = getattr(channel, kind)(f"/{method}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
        arg = iter(requests) if descriptor.client_streaming else requests[0]
        try:
            if descriptor.server_streaming:
                responses = call(arg, timeout=30)
                for received, response in enumerate(responses, start=1):
                    print(json.dumps({"response": json_format.MessageToDict(response)}), flush=True)
                    if received == int(most):
                        responses.cancel()
                        break
            else:
                print(json.dumps({"response": json_format.MessageToDict(call(arg, timeout=30))}), flush=True)
            print(json.dumps({"code": "OK"}))
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.CANCELLED and descriptor.server_streaming:
                print(json.dumps({"code": "OK"}))
            else:
                print(json.dumps({"code": err.code().name, "details": err.details()}))


if __name__ == "__main__":
    main()
