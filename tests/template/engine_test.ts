/**
 * The Go-template engine behind every `--format`: parsing, execution,
 * functions and Go's printing, checked against what Go's text/template
 * (with docker's functions) prints for the same template and data.
 */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { compileTemplate, runTemplate } from "../../lib/template/format.ts";
import { TemplateError } from "../../lib/errors.ts";

const data = {
  Name: "web",
  Id: "0123456789abcdef",
  State: { Status: "running", Pid: 7, Running: true, ExitCode: 0 },
  Args: ["-c", "echo hi"],
  Config: { Labels: { b: "2", a: "1", "com.x": "y" }, Env: null, Cmd: ["sh"] },
  Mounts: [{ Source: "/a", Destination: "/x" }, { Source: "/b", Destination: "/y" }],
  Ports: {},
  Size: 1.5,
  Label: (k: string) => ({ a: "1" } as Record<string, string>)[k] ?? "",
};

const run = (t: string, d: unknown = data) => runTemplate(compileTemplate(t), d);

const cases: [string, string][] = [
  ["plain text", "plain text"],
  ["{{.Name}}", "web"],
  ["{{ .Name }}", "web"],
  ["{{.State.Status}}/{{.State.Pid}}", "running/7"],
  ["{{.State}}", "map[ExitCode:0 Pid:7 Running:true Status:running]"],
  ["{{.Args}}", "[-c echo hi]"],
  ["{{.Config.Env}}", "<nil>"],
  ["{{.Size}}", "1.5"],
  ["{{json .Args}}", '["-c","echo hi"]'],
  ["{{json .Config.Labels}}", '{"b":"2","a":"1","com.x":"y"}'],
  ['{{json "<&>"}}', '"<&>"'],
  ["{{json .Ports}}", "{}"],
  ['{{.Label "a"}}|{{.Label "zz"}}', "1|"],
  ['{{index .Config.Labels "com.x"}}', "y"],
  ['{{index .Config.Labels "missing"}}', ""],
  ["{{index .Args 1}}", "echo hi"],
  ["{{index .Mounts 1 | json}}", '{"Source":"/b","Destination":"/y"}'],
  ["{{(index .Mounts 0).Destination}}", "/x"],
  ["{{range .Args}}[{{.}}]{{end}}", "[-c][echo hi]"],
  ["{{range $i, $m := .Mounts}}{{$i}}:{{$m.Source}} {{end}}", "0:/a 1:/b "],
  ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;com.x=y;"],
  ["{{range .Ports}}x{{else}}none{{end}}", "none"],
  ['{{range .Mounts}}{{if eq .Source "/b"}}{{break}}{{end}}{{.Source}}{{end}}', "/a"],
  ['{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}{{.}}{{end}}', "echo hi"],
  ["{{range $i, $e := .Args}}{{if $i}},{{end}}{{$e}}{{end}}", "-c,echo hi"],
  ["{{if .State.Running}}up{{else}}down{{end}}", "up"],
  ["{{if .State.ExitCode}}bad{{else if .Name}}named{{else}}anon{{end}}", "named"],
  ["{{if not .Ports}}no ports{{end}}", "no ports"],
  ["{{if and .Name .State.Running}}both{{end}}", "both"],
  ["{{or .Config.Env .Name}}", "web"],
  ["{{and .Name 0}}", "0"],
  ["{{with .State}}{{.Status}}{{end}}", "running"],
  ["{{with .Config.Env}}x{{else}}empty{{end}}", "empty"],
  ["{{$n := .Name}}{{range .Args}}{{$n}}{{end}}", "webweb"],
  ["{{$x := 1}}{{$x = 2}}{{$x}}", "2"],
  ["{{range .Args}}{{$.Name}}{{end}}", "webweb"],
  ['{{upper .Name}} {{lower "AbC"}} {{title "hello world"}}', "WEB abc Hello World"],
  ["{{.Name | upper}}", "WEB"],
  ['{{.Name | printf "%s!" | upper}}', "WEB!"],
  ['{{join .Args ","}}', "-c,echo hi"],
  ['{{split "a,b,c" ","}}', "[a b c]"],
  ['{{len (split "a,b,c" ",")}}', "3"],
  ["{{len .Args}} {{len .Config.Labels}} {{len .Name}}", "2 3 3"],
  ["{{truncate .Id 6}}", "012345"],
  ['{{pad .Name 2 1}}|{{pad "" 2 2}}|', "  web ||"],
  [
    '{{printf "%-6s|%4d|%.2f|%q|%v|%t" .Name 42 3.14159 "x" .Args true}}',
    'web   |  42|3.14|"x"|[-c echo hi]|true',
  ],
  ['{{printf "%05d %x %X %o %b %c %%" 42 255 255 8 5 65}}', "00042 ff FF 10 101 A %"],
  ['{{printf "%d" "s"}}', "%!d(string=s)"],
  ['{{printf "%s" .State.Pid}}', "%!s(int=7)"],
  ['{{printf "%s %s" "a"}}', "a %!s(MISSING)"],
  ['{{printf "%s" "a" 1}}', "a%!(EXTRA int=1)"],
  ['{{print "a" 1 2 "b"}}', "a1 2b"],
  ['{{println "a" 1}}', "a 1\n"],
  ['{{eq .Name "web"}} {{eq .State.Pid 1 7}} {{ne .Name "x"}}', "true true true"],
  ['{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge "b" "a"}}', "true true false true"],
  ["{{slice .Id 2 4}} {{slice .Args 1}}", "23 [echo hi]"],
  ['{{html "<a>"}} {{urlquery "a b&c"}} {{js "it\'s"}}', "&lt;a&gt; a+b%26c it\\'s"],
  ['a {{- " b " -}} c', "a b c"],
  ["a  {{- /* a comment */ -}}  b", "ab"],
  ["{{/* only a comment */}}x", "x"],
  ["{{`raw {{ }}`}}", "raw {{ }}"],
  ["{{'a'}} {{0x10}} {{-3}} {{1e3}}", "97 16 -3 1000"],
  ["{{true}} {{false}}", "true false"],
  ["{{.}}", ""],
  ["line1\n{{.Name}}\nline3", "line1\nweb\nline3"],
];

Deno.test("runTemplate: Go's text/template output for fields, control, functions, printing", () => {
  for (const [tpl, want] of cases) {
    if (tpl === "{{.}}") continue;
    assertEquals(run(tpl), want, `template ${JSON.stringify(tpl)}`);
  }
  assertEquals(run("{{.}}", "plain"), "plain");
  assertEquals(run("{{.}}", { b: 1, a: [1, 2], f: () => 1 }), "map[a:[1 2] b:1]");
  assertEquals(run("{{json .}}", { A: 1, f: () => 1 }), '{"A":1}');
  assertEquals(run("{{range .}}{{.}}{{end}}", 3), "012");
});

const parseErrors: [string, string][] = [
  ["{{.Name", "template: :1: unclosed action"],
  ["{{end}}", "template: :1: unexpected {{end}}"],
  ["{{else}}", "template: :1: unexpected {{else}}"],
  ["{{if .Name}}x", "template: :1: unexpected EOF"],
  ["{{range .Args}}{{else}}{{else}}{{end}}", "expected end; found {{else}}"],
  ["{{nosuch .Name}}", 'template: :1: function "nosuch" not defined'],
  ["{{}}", "missing value for command"],
  ["{{if}}x{{end}}", "missing value for if"],
  ['{{"abc}}', "unterminated quoted string"],
  ["{{.Name | }}", "missing value for command"],
  ["{{(.Name}}", "unclosed left paren"],
  ["{{.Name)}}", "unexpected right paren"],
  ["{{#}}", "unrecognized character in action: U+0023 '#'"],
  ["{{break}}", "{{break}} outside {{range}}"],
  ['{{define "x"}}{{end}}', "not supported"],
  ["{{.Name | 3}}", "non executable command in pipeline stage 2"],
  ["a\n{{end}}", "template: :2: unexpected {{end}}"],
];

Deno.test("compileTemplate: bad templates fail with Go's message, prefixed as docker does", () => {
  for (const [tpl, want] of parseErrors) {
    const err = assertThrows(() => compileTemplate(tpl), TemplateError, want);
    assertEquals(err.exitCode, 1);
    assertEquals(err.message.startsWith("template parsing error: template: :"), true, tpl);
  }
});

const execErrors: [string, string][] = [
  ["{{.Nope}}", 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'],
  ["x{{.State.Nope}}", 'executing "" at <.State.Nope>: map has no entry for key "Nope"'],
  ["{{.Name.Foo}}", "can't evaluate field Foo in type string"],
  ["{{.Config.Env.X}}", "nil pointer evaluating interface {}.X"],
  ["{{.Args.X}}", "can't evaluate field X in type []interface {}"],
  ["{{index .Args 5}}", "error calling index: index out of range: 5"],
  ["{{upper .State}}", "wrong type for value; expected string"],
  ['{{join .Name ","}}', "expected []string"],
  ["{{len 3}}", "len of type int"],
  ["{{.Label}}", "wrong number of args for Label: want 1 got 0"],
  ['{{.Name "x"}}', "Name is not a method but has arguments"],
  ["{{eq .Name 1}}", "incompatible types for comparison"],
  ["{{$nope}}", "undefined variable: $nope"],
  ["{{range .Name}}{{end}}", "range can't iterate over web"],
  ['{{"a" "b"}}', "can't give argument to non-function"],
  ["\n  {{.Nope}}", "template: :2:4: executing"],
];

Deno.test("runTemplate: execution errors name the line, column and action as Go does", () => {
  for (const [tpl, want] of execErrors) {
    const err = assertThrows(() => run(tpl), TemplateError, want);
    assertEquals(err.message.startsWith("template parsing error: template: :"), true, tpl);
  }
  const typed = assertThrows(
    () => runTemplate(compileTemplate("{{.Nope}}"), { A: 1 }, "*formatter.ContainerContext"),
    TemplateError,
  );
  assertEquals(
    typed.message,
    'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
  );
});
