/**
 * UDP echo for the user-mode network tests, run inside a network namespace:
 * binds 0.0.0.0:PORT (arg), prints "ready", answers one datagram with
 * "echo:" + its text and exits. Bounded: exits by itself after 30 s.
 */
import dgram from "node:dgram";

const port = Number(Deno.args[0]);
const sock = dgram.createSocket("udp4");
const bound = setTimeout(() => Deno.exit(3), 30_000);
sock.on("message", (msg, rinfo) => {
  sock.send(`echo:${msg}`, rinfo.port, rinfo.address, () => {
    clearTimeout(bound);
    sock.close();
  });
});
sock.bind(port, "0.0.0.0", () => console.log("ready"));
