import { ChannelError, ChannelUnavailableError, type ChannelErrorCode } from "../errors";

/**
 * Kafka protocol errors (kafkajs `type`) that a retry will not cure, by what
 * they mean for the caller. Every other protocol error — leadership moving,
 * coordinators loading, timeouts, storage errors, an idempotent producer's
 * sequence trouble, UNKNOWN — is the broker not able to serve now: UNAVAILABLE.
 */
const protocolCodes: Record<string, ChannelErrorCode> = {
  // The record itself: an event the topic will never take.
  MESSAGE_TOO_LARGE: "invalid_argument",
  RECORD_LIST_TOO_LARGE: "invalid_argument",
  INVALID_RECORD: "invalid_argument",
  INVALID_TIMESTAMP: "invalid_argument",
  // The log no longer holds the offset asked for.
  OFFSET_OUT_OF_RANGE: "data_loss",
  // The platform's rights or the cluster's set-up: an operator has to act before a retry can work.
  TOPIC_AUTHORIZATION_FAILED: "failed_precondition",
  GROUP_AUTHORIZATION_FAILED: "failed_precondition",
  CLUSTER_AUTHORIZATION_FAILED: "failed_precondition",
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: "failed_precondition",
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: "failed_precondition",
  SASL_AUTHENTICATION_FAILED: "failed_precondition",
  UNSUPPORTED_SASL_MECHANISM: "failed_precondition",
  ILLEGAL_SASL_STATE: "failed_precondition",
  SECURITY_DISABLED: "failed_precondition",
  UNSUPPORTED_VERSION: "failed_precondition",
  UNSUPPORTED_FOR_MESSAGE_FORMAT: "failed_precondition",
  UNSUPPORTED_COMPRESSION_TYPE: "failed_precondition",
  POLICY_VIOLATION: "failed_precondition",
  INVALID_CONFIG: "failed_precondition",
  INVALID_PARTITIONS: "failed_precondition",
  INVALID_REPLICATION_FACTOR: "failed_precondition",
  INVALID_REPLICA_ASSIGNMENT: "failed_precondition",
  INVALID_TOPIC_EXCEPTION: "failed_precondition",
  INVALID_REQUIRED_ACKS: "failed_precondition",
  GROUP_MAX_SIZE_REACHED: "failed_precondition",
  LOG_DIR_NOT_FOUND: "failed_precondition",
  TOPIC_DELETION_DISABLED: "failed_precondition",
};

/** kafkajs error classes whose meaning does not depend on a protocol type (by class: some share a `name`). */
const classCodes: Record<string, ChannelErrorCode> = {
  KafkaJSSASLAuthenticationError: "failed_precondition",
  KafkaJSServerDoesNotSupportApiKey: "failed_precondition",
  // kafkajs cannot read what the broker sent (e.g. a codec it lacks, an old message format).
  KafkaJSNotImplemented: "failed_precondition",
  KafkaJSUnsupportedMagicByteInMessageSet: "failed_precondition",
  // Bytes from the broker that do not decode.
  KafkaJSInvalidVarIntError: "data_loss",
  KafkaJSInvalidLongError: "data_loss",
  // kafkajs refused how the platform called it: a bug here, not the broker's state.
  KafkaJSInvariantViolation: "internal",
  KafkaJSNonRetriableError: "internal",
};

type KafkaJsError = Error & { type?: string; errors?: unknown[] };
const isKafkaJs = (err: unknown): err is KafkaJsError => err instanceof Error && err.constructor.name.startsWith("KafkaJS");

/** The code a kafkajs error means for the platform's caller. */
export function kafkaErrorCode(err: KafkaJsError): ChannelErrorCode {
  if (err.constructor.name === "KafkaJSAggregateError" && err.errors?.length) {
    const first = err.errors.find(isKafkaJs);
    return first ? kafkaErrorCode(first) : "unavailable";
  }
  // kafkajs's retrier wraps every error it does not retry in a plain KafkaJSNonRetriableError: the cause tells.
  if (err.constructor.name === "KafkaJSNonRetriableError" && isKafkaJs(err.cause) && err.cause !== err) return kafkaErrorCode(err.cause);
  if (err.type !== undefined && Object.hasOwn(protocolCodes, err.type)) return protocolCodes[err.type]!;
  // Retries exhausted, lost connections, time-outs, missing brokers or coordinators, rebalances, stale metadata.
  return classCodes[err.constructor.name] ?? "unavailable";
}

/**
 * Any error from kafkajs as a ChannelError with its code (UNAVAILABLE for a
 * broker that cannot be reached); channel errors and errors of other origin
 * (bugs) pass unchanged.
 */
export function channelErrorOf(err: unknown, doing: string): unknown {
  if (err instanceof ChannelError || !isKafkaJs(err)) return err;
  const code = kafkaErrorCode(err);
  const message = `Kafka could not ${doing}: ${err.message}`;
  return code === "unavailable" ? new ChannelUnavailableError(message, { cause: err }) : new ChannelError(code, message, { cause: err });
}

/** Runs a kafkajs call, its errors mapped by channelErrorOf. */
export async function kafkaCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw channelErrorOf(err, doing);
  }
}
