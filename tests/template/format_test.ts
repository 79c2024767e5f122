/** docker's formatter on top of the engine: table/json/raw lists, inspect output, tabwriter. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { formatInspect, formatList } from "../../lib/template/format.ts";
import { tabwrite } from "../../lib/template/tabwriter.ts";
import { TemplateError } from "../../lib/errors.ts";

const rows = [
  { ID: "abc", Names: "x", Labels: "a=1", Label: (k: string) => (k === "a" ? "1" : "") },
  { ID: "defghijklmnop", Names: "long-name", Labels: "", Label: (_k: string) => "" },
];
const opts = {
  defaultTable: "table {{.ID}}\t{{.Names}}",
  headers: { ID: "CONTAINER ID", Names: "NAMES", Labels: "LABELS", Label: (_k: string) => "LABEL" },
  typeName: "*formatter.ContainerContext",
};

Deno.test("tabwrite: min width 10, 3 spaces of padding, last cell unpadded", () => {
  assertEquals(tabwrite("A\tBB\tc\nccc\td\te"), "A         BB        c\nccc       d         e");
  assertEquals(tabwrite("LONGER THAN TEN\tx\ny\tz"), "LONGER THAN TEN   x\ny                 z");
  // a line without the column ends the block: widths restart after it
  assertEquals(
    tabwrite("aaaaaaaaaaaa\tb\nno tabs\nc\td"),
    "aaaaaaaaaaaa   b\nno tabs\nc         d",
  );
  assertEquals(tabwrite("é\tx"), "é         x");
});

Deno.test("formatList: default table, 'table', table TEMPLATE with \\t escapes and headers", () => {
  const want = "CONTAINER ID    NAMES\nabc             x\ndefghijklmnop   long-name\n";
  assertEquals(formatList(undefined, rows, opts), want);
  assertEquals(formatList("table", rows, opts), want);
  assertEquals(
    formatList('table {{.Names}}\\t{{.Label "a"}}', rows, opts),
    "NAMES       LABEL\nx           1\nlong-name   \n",
  );
  assertEquals(formatList("table {{.ID}}", [], opts), "CONTAINER ID\n");
  assertEquals(formatList("table {{upper .Names}}", rows, opts), "NAMES\nX\nLONG-NAME\n");
});

Deno.test("formatList: json is one object per line, a template one line per row", () => {
  assertEquals(
    formatList("json", rows, opts),
    '{"ID":"abc","Names":"x","Labels":"a=1"}\n{"ID":"defghijklmnop","Names":"long-name","Labels":""}\n',
  );
  assertEquals(
    formatList("{{.Names}}\\t{{.ID}}", rows, opts),
    "x\tabc\nlong-name\tdefghijklmnop\n",
  );
  assertEquals(formatList("{{.Names}}", [], opts), "");
});

Deno.test("formatList: a bad template is a TemplateError (exit 1) before any output", () => {
  const p = assertThrows(() => formatList("{{.Names", rows, opts), TemplateError);
  assertEquals(p.exitCode, 1);
  assertEquals(p.message, "template parsing error: template: :1: unclosed action");
  const e = assertThrows(() => formatList("{{.Nope}}", rows, opts), TemplateError);
  assertEquals(
    e.message,
    'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
  );
});

Deno.test("formatInspect: indented array, compact json, template per object, errors per object", () => {
  const objs = [{ Name: "a", State: { Status: "running" } }, { Name: "b" }];
  assertEquals(formatInspect(undefined, objs).text, JSON.stringify(objs, null, 4) + "\n");
  assertEquals(formatInspect(undefined, []).text, "[]\n");
  assertEquals(formatInspect("json", objs).text, JSON.stringify(objs) + "\n");
  const r = formatInspect("{{.Name}} {{.State.Status}}", objs);
  assertEquals(r.text, "a running\n");
  assertEquals(r.errors, [
    'template parsing error: template: :1:12: executing "" at <.State.Status>: map has no entry for key "State"',
  ]);
  const bad = assertThrows(() => formatInspect("{{if}}", objs), TemplateError);
  assertEquals(bad.exitCode, 64); // docker inspect: StatusError 64 for a template that does not parse
});
