/**
 * C strings and NULL-terminated string arrays built from JS strings.
 * @module
 */

const enc = new TextEncoder();

/** NUL-terminated UTF-8 bytes for a C `const char *`. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = enc.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** A nullable C string (`null` → NULL pointer). */
export function cstrOrNull(s: string | null | undefined): Uint8Array<ArrayBuffer> | null {
  return s == null ? null : cstr(s);
}

/**
 * A `char *const[]` (NULL-terminated) plus the buffers it points to, which the
 * caller must keep alive until the call returns.
 */
export function cstrArray(
  items: string[],
): { array: BigUint64Array<ArrayBuffer>; keep: Uint8Array[] } {
  const keep = items.map(cstr);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  });
  array[items.length] = 0n;
  return { array, keep };
}

/** Decode a NUL-terminated string from a byte buffer. */
export function fromCBuffer(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
