export { partitionKey, requiredAttributes, type CloudEvent } from "./cloud-event";
export { fromKafkaRecord, sourceOf, toKafkaRecord, typeOf, type KafkaRecord } from "./kafka-binding";
export { decodeEvent, encodeEvent, fromProto, MissingAttributesError, toProto } from "./protobuf-format";
export { attributeLimits, checkDraft, completeEvent, InvalidAttributeError, InvalidExtensionError, type EventDraft } from "./construct";
export { fromJsonFormat, InvalidEnvelopeError, toJsonFormat, type IncomingEvent } from "./json-format";
export { fromBinaryMode } from "./http-binding";
