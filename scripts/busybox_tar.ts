/** Write a busybox rootfs tar (from the host's busybox-static) to the path given. @module */
import { makeBusyboxTar } from "../tests/helpers/busybox.ts";

if (!Deno.args[0]) {
  console.error("usage: deno run -A scripts/busybox_tar.ts OUT.tar");
  Deno.exit(2);
}
makeBusyboxTar(Deno.args[0]);
