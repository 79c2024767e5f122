/** applyChanges: the `import --change` instructions. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { applyChanges } from "../../lib/image/changes.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("applyChanges: exec and shell forms, ENV/LABEL forms, ports and volumes", () => {
  const c = applyChanges({ Env: ["A=1"] }, [
    'CMD ["echo", "hi"]',
    "ENTRYPOINT /bin/run --x",
    'ENV A=2 B="two words"',
    "ENV C three words",
    "LABEL org.example=yes",
    "EXPOSE 80 53/udp",
    'VOLUME ["/data"]',
    "user 1000:1000",
    "WORKDIR /srv",
    "STOPSIGNAL SIGINT",
  ]);
  assertEquals(c.Cmd, ["echo", "hi"]);
  assertEquals(c.Entrypoint, ["/bin/sh", "-c", "/bin/run --x"]);
  assertEquals(c.Env, ["A=2", "B=two words", "C=three words"]);
  assertEquals(c.Labels, { "org.example": "yes" });
  assertEquals(c.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assertEquals(c.Volumes, { "/data": {} });
  assertEquals([c.User, c.WorkingDir, c.StopSignal], ["1000:1000", "/srv", "SIGINT"]);
});

Deno.test("applyChanges: unsupported or malformed instructions are usage errors", () => {
  assertThrows(() => applyChanges({}, ["RUN true"]), UsageError, "RUN is not supported");
  assertThrows(() => applyChanges({}, ['CMD ["unterminated"']), UsageError, "malformed JSON");
  assertThrows(() => applyChanges({}, ["EXPOSE http"]), UsageError, "bad port");
  assertThrows(() => applyChanges({}, ["CMD"]), UsageError, "expected INSTRUCTION ARGS");
});
