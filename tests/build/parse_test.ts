/**
 * Unit tests of the Dockerfile parser, docker's word processing and
 * variable substitution, `.dockerignore` matching, stage splitting and the
 * metadata instructions. Pure; no root needed.
 * @module
 */

import assert from "node:assert/strict";
import { parseDockerfile } from "../../lib/build/parse.ts";
import { processWord, processWords, WordError } from "../../lib/build/words.ts";
import { globRegExp, IgnoreMatcher } from "../../lib/build/dockerignore.ts";
import { neededStages, splitStages } from "../../lib/build/stages.ts";
import { applyMetadata, durationNs, type MetaState } from "../../lib/build/metadata.ts";
import { BuildError } from "../../lib/build/errors.ts";

const one = (text: string) => parseDockerfile(text).instructions;

Deno.test("parseDockerfile: keywords are case-insensitive, lines are numbered, comments skipped", () => {
  const ins = one("# a comment\n\nfrom busybox\n  run echo hi\n# another\nCMD x\n");
  assert.deepEqual(ins.map((i) => [i.cmd, i.line, i.rest]), [
    ["FROM", 3, "busybox"],
    ["RUN", 4, "echo hi"],
    ["CMD", 6, "x"],
  ]);
});

Deno.test("parseDockerfile: line continuations join, skipping comment and empty lines inside", () => {
  const ins = one("FROM b\nRUN echo a \\\n  # inside\n\n  && echo b \\\n  && echo c\nUSER 1\n");
  assert.equal(ins[1].rest, "echo a   && echo b   && echo c");
  assert.equal(ins[1].line, 2);
  assert.equal(ins[2].line, 7);
});

Deno.test("parseDockerfile: an escaped escape at the end of a line does not continue it", () => {
  const ins = one("FROM b\nRUN echo a\\\\\nUSER 1\n");
  assert.equal(ins.length, 3);
  assert.equal(ins[1].rest, "echo a\\\\");
});

Deno.test("parseDockerfile: # escape=` and # syntax directives", () => {
  const df = parseDockerfile(
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM b\nRUN echo a `\n  b\n",
  );
  assert.deepEqual(df.directives, { syntax: "docker/dockerfile:1", escape: "`" });
  assert.equal(df.escape, "`");
  assert.equal(df.instructions[1].rest, "echo a   b");
});

Deno.test("parseDockerfile: a directive after a comment is a comment", () => {
  const df = parseDockerfile("# hello\n# escape=`\nFROM b\nRUN echo a \\\n b\n");
  assert.deepEqual(df.directives, {});
  assert.equal(df.instructions[1].rest, "echo a  b");
});

Deno.test("parseDockerfile: a bad escape directive and a duplicate directive are errors", () => {
  assert.throws(() => parseDockerfile("# escape=x\nFROM b\n"), /invalid escape token/);
  assert.throws(
    () => parseDockerfile("# escape=`\n# escape=\\\nFROM b\n"),
    /only one escape parser directive/,
  );
});

Deno.test("parseDockerfile: JSON (exec) form and shell form", () => {
  const ins = one('FROM b\nCMD ["echo", "a b"]\nCMD [not json\nENTRYPOINT ["x", 1]\n');
  assert.deepEqual(ins[1].json, ["echo", "a b"]);
  assert.equal(ins[2].json, undefined);
  assert.equal(ins[2].rest, "[not json");
  assert.equal(ins[3].json, undefined, "a non-string element is not the exec form");
});

Deno.test("parseDockerfile: leading --flags of FROM/COPY/ADD/RUN/HEALTHCHECK only", () => {
  const ins = one(
    "FROM --platform=linux/amd64 b AS x\nCOPY --from=x --chown=1:2 --chmod=644 a /b\nENV --x=1\nHEALTHCHECK --interval=5s CMD true\n",
  );
  assert.deepEqual(ins[0].flags, { platform: "linux/amd64" });
  assert.equal(ins[0].rest, "b AS x");
  assert.deepEqual(ins[1].flags, { from: "x", chown: "1:2", chmod: "644" });
  assert.equal(ins[1].rest, "a /b");
  assert.deepEqual(ins[2].flags, {});
  assert.equal(ins[2].rest, "--x=1");
  assert.deepEqual(ins[3].flags, { interval: "5s" });
});

Deno.test("parseDockerfile: errors name the line", () => {
  assert.throws(() => parseDockerfile("FROM b\n\nBOGUS x\n"), (e: Error) => {
    assert.ok(e instanceof BuildError);
    assert.equal(e.message, "Dockerfile:3: unknown instruction: BOGUS");
    assert.equal(e.exitCode, 1);
    return true;
  });
  assert.throws(
    () => parseDockerfile("FROM b\nRUN\n"),
    /Dockerfile:2: RUN requires at least one argument/,
  );
  assert.throws(() => parseDockerfile("# only\n\n"), /has no instructions/);
  assert.throws(
    () => parseDockerfile("FROM b\nFOO\n", "app.Dockerfile"),
    /: app\.Dockerfile:2: unknown instruction: FOO$/,
  );
});

const V = new Map([["A", "x"], ["E", ""], ["P", "/app"]]);

Deno.test("processWord: $VAR, ${VAR}, defaults and alternatives as docker", () => {
  assert.equal(processWord("$A-${A}-$NOPE.", V), "x-x-.");
  assert.equal(processWord("${NOPE:-d} ${E:-d} ${E-d} ${A:-d}", V), "d d  x");
  assert.equal(processWord("${A:+alt} ${E:+alt} ${E+alt} ${NOPE+alt}.", V), "alt  alt .");
  assert.equal(processWord("${NOPE:-${P}/bin}", V), "/app/bin");
  assert.equal(processWord("$ 5$ ${A}$", V), "$ 5$ x$");
  assert.throws(() => processWord("${NOPE:?must be set}", V), WordError);
  assert.throws(() => processWord("${A", V), WordError);
});

Deno.test("processWord: quotes and escapes", () => {
  assert.equal(processWord(`'$A' "$A" \\$A`, V), "$A x $A");
  assert.equal(processWord(`"a \\"q\\" \\$A \\n"`, V), 'a "q" $A \\n');
  assert.equal(processWord("`$A", V, "`"), "$A");
  assert.throws(() => processWord("'open", V), WordError);
  assert.throws(() => processWord('"open', V), WordError);
});

Deno.test("processWords: splits at unquoted whitespace, keeps quoted spaces", () => {
  assert.deepEqual(processWords(`a  "b c" d'e f'  $A`, V), ["a", "b c", "de f", "x"]);
  assert.deepEqual(processWords(`K="v 1" L=$P`, V), ["K=v 1", "L=/app"]);
  assert.deepEqual(processWords(`""`, V), [""]);
  assert.deepEqual(processWords(`   `, V), []);
});

Deno.test("IgnoreMatcher: globs, ** across directories, ! exceptions, last match wins", () => {
  const m = new IgnoreMatcher(
    "# c\n*.log\n!keep.log\n/build/\n**/*.tmp\ndocs/**\n!docs/README.md\n",
  );
  assert.ok(m.ignores("a.log"));
  assert.ok(!m.ignores("keep.log"));
  assert.ok(!m.ignores("sub/a.log"), "* stays in one component");
  assert.ok(m.ignores("build"));
  assert.ok(m.ignores("build/x/y"), "a matched directory excludes everything below");
  assert.ok(m.ignores("x.tmp"));
  assert.ok(m.ignores("a/b/c/x.tmp"));
  assert.ok(m.ignores("docs/a.md"));
  assert.ok(!m.ignores("docs/README.md"));
  assert.ok(!m.ignores("src/main.c"));
  assert.ok(m.hasExclusions);
});

Deno.test("globRegExp: ? and character classes stay within a component", () => {
  assert.ok(globRegExp("a?c").test("abc"));
  assert.ok(!globRegExp("a?c").test("a/c"));
  assert.ok(globRegExp("[ab]*.txt").test("b1.txt"));
  assert.ok(!globRegExp("[!ab]*.txt").test("a1.txt"));
  assert.ok(globRegExp("src/*.c").test("src/x.c"));
  assert.ok(!globRegExp("src/*.c").test("src/d/x.c"));
});

Deno.test("splitStages/neededStages: meta ARGs, names, only what the target needs", () => {
  const df = parseDockerfile(
    "ARG V=1\nFROM b AS one\nRUN x\nFROM b AS two\nFROM one AS three\nCOPY --from=0 /a /a\nFROM b\n",
  );
  const plan = splitStages(df, "Dockerfile");
  assert.equal(plan.metaArgs.length, 1);
  assert.deepEqual(plan.stages.map((s) => s.name), ["one", "two", "three", undefined]);
  assert.deepEqual(neededStages(plan, "three", "Dockerfile").map((s) => s.index), [0, 2]);
  assert.deepEqual(neededStages(plan, "THREE", "Dockerfile").map((s) => s.index), [0, 2]);
  assert.deepEqual(neededStages(plan, undefined, "Dockerfile").map((s) => s.index), [3]);
  assert.throws(
    () => neededStages(plan, "nope", "Dockerfile"),
    /target stage "nope" could not be found/,
  );
  assert.throws(
    () => splitStages(parseDockerfile("FROM b AS x\nFROM b AS X\n"), "Dockerfile"),
    /Dockerfile:2: duplicate stage name "x"/,
  );
  assert.throws(
    () => splitStages(parseDockerfile("ENV A=1\nFROM b\n"), "Dockerfile"),
    /Dockerfile:1: no build stage in current context/,
  );
});

function meta(lines: string, vars = new Map<string, string>()): MetaState {
  const st: MetaState = { config: { Cmd: ["sh"] }, cmdSet: false };
  for (const ins of parseDockerfile(lines).instructions) applyMetadata(ins, st, vars, "\\");
  return st;
}

Deno.test("applyMetadata: ENV and LABEL forms, substitution from the values before the line", () => {
  const st = meta(
    'ENV A=1 B="two words" C=$X\nENV D ${A}-legacy form\nENV A=2 E=$A\nLABEL "k 1"=v a.b=\'$A\'\nLABEL solo value here\n',
    new Map([["X", "from-arg"]]),
  );
  assert.deepEqual(st.config.Env, ["B=two words", "C=from-arg", "D=-legacy form", "A=2", "E="]);
  assert.deepEqual(st.config.Labels, { "k 1": "v", "a.b": "$A", solo: "value here" });
});

Deno.test("applyMetadata: ENV substitutes from the ENV values already set", () => {
  const st: MetaState = { config: { Env: ["P=/app"] }, cmdSet: false };
  const [ins] = parseDockerfile("ENV Q=${P}/bin").instructions;
  applyMetadata(ins, st, new Map([["P", "/app"]]), "\\");
  assert.deepEqual(st.config.Env, ["P=/app", "Q=/app/bin"]);
});

Deno.test("applyMetadata: EXPOSE ranges and protocols, VOLUME forms, WORKDIR relative", () => {
  const st = meta(
    'EXPOSE 80 53/UDP 7000-7001/tcp\nVOLUME /a /b\nVOLUME ["/c"]\nWORKDIR /x\nWORKDIR y/../z\n',
  );
  assert.deepEqual(Object.keys(st.config.ExposedPorts!), [
    "80/tcp",
    "53/udp",
    "7000/tcp",
    "7001/tcp",
  ]);
  assert.deepEqual(Object.keys(st.config.Volumes!), ["/a", "/b", "/c"]);
  assert.equal(st.config.WorkingDir, "/x/z");
  assert.throws(() => meta("EXPOSE 80/bogus"), /invalid containerPort/);
  assert.throws(() => meta("EXPOSE 90-80"), /invalid range/);
});

Deno.test("applyMetadata: CMD/ENTRYPOINT through SHELL; ENTRYPOINT resets an inherited CMD", () => {
  let st = meta('SHELL ["/bin/bash", "-c"]\nENTRYPOINT run me\n');
  assert.deepEqual(st.config.Entrypoint, ["/bin/bash", "-c", "run me"]);
  assert.equal(st.config.Cmd, null);
  st = meta('CMD ["a"]\nENTRYPOINT ["e"]\n');
  assert.deepEqual(st.config.Cmd, ["a"]);
  assert.deepEqual(st.config.Entrypoint, ["e"]);
  assert.throws(() => meta("SHELL /bin/sh -c"), /JSON form/);
});

Deno.test("applyMetadata: HEALTHCHECK forms, NONE, ONBUILD, STOPSIGNAL, USER, MAINTAINER", () => {
  const st = meta(
    'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=4 CMD ["curl", "-f", "x"]\nONBUILD RUN a\nONBUILD COPY . /\nSTOPSIGNAL SIGUSR1\nUSER app:grp\nMAINTAINER me\n',
  );
  assert.deepEqual(st.config.Healthcheck, {
    Test: ["CMD", "curl", "-f", "x"],
    Interval: 90e9,
    Timeout: 500e6,
    StartPeriod: 2e9,
    Retries: 4,
  });
  assert.deepEqual(st.config.OnBuild, ["RUN a", "COPY . /"]);
  assert.equal(st.config.StopSignal, "SIGUSR1");
  assert.equal(st.config.User, "app:grp");
  assert.equal(st.author, "me");
  assert.deepEqual(meta("HEALTHCHECK NONE").config.Healthcheck, { Test: ["NONE"] });
  assert.deepEqual(meta("HEALTHCHECK CMD true").config.Healthcheck, {
    Test: ["CMD-SHELL", "true"],
  });
  assert.throws(() => meta("HEALTHCHECK --bogus=1 CMD true"), /unknown flag: --bogus/);
  assert.throws(() => meta("HEALTHCHECK --interval=5x CMD true"), /invalid duration/);
  assert.throws(() => meta("ONBUILD FROM x"), /isn't allowed as an ONBUILD trigger/);
  assert.equal(durationNs("1h2m3s", "interval"), 3723e9);
});
