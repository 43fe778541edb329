/**
 * Hands work to `send` in the order it was submitted, while what precedes
 * each send (validation) runs concurrently: the i-th submission is sent once
 * it is prepared and every earlier one has been sent or has failed to
 * prepare. A PublishStream uses one, so that its events reach the channel,
 * which stores calls in call order, in the order the producer sent them.
 */
export function inOrder(): <T, R>(prepared: Promise<T>, send: (value: T) => Promise<R>) => Promise<R> {
  let previous: Promise<unknown> = Promise.resolve();
  return (prepared, send) => {
    // Its failure is given through `result`, later: until then it must not count as unhandled.
    prepared.catch(() => undefined);
    const turn = previous.then(() => prepared);
    // Registered on `turn` before the next submission's wait is: this send starts before the next one's.
    const result = turn.then(send);
    previous = turn.catch(() => undefined);
    return result;
  };
}
