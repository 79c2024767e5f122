/**
 * The `signal` attribute of a kill event: docker logs the number
 * (`signal=15`); kept in one place so every emitter agrees.
 * @module
 */

/** The attribute value for signal number `n`. */
export function signalName(n: number): string {
  return String(n);
}
