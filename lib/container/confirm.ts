/**
 * docker's prune prompt: `… [y/N] ` on stdout, one line from stdin.
 * @module
 */

/** Ask; true only for `y` / `yes`. */
export async function confirm(question: string): Promise<boolean> {
  await Deno.stdout.write(new TextEncoder().encode(`${question} [y/N] `));
  const buf = new Uint8Array(64);
  const n = await Deno.stdin.read(buf);
  const answer = n === null
    ? ""
    : new TextDecoder().decode(buf.subarray(0, n)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
