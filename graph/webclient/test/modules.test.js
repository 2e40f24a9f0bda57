// The web client's pure modules (no DOM): node --test graph/webclient/test/
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDraftDelta } from "../src/draft.js";
import { candidatePaths, placeErrors } from "../src/fields.js";
import { parseBlocks, parseInline, safeHref } from "../src/markdown.js";
import { centsOf, dollars } from "../src/money.js";
import { SequenceTracker } from "../src/live.js";

test("a draft grows by each delta that lines up with its length", () => {
  assert.equal(applyDraftDelta("", "# Plan", 6), "# Plan");
  assert.equal(applyDraftDelta("# Plan", "\nText", 11), "# Plan\nText");
  assert.equal(applyDraftDelta("# Plan", "", 6), "# Plan");
  assert.equal(applyDraftDelta("# Plan", undefined, undefined), "# Plan");
});

test("a draft that does not line up asks for a fresh read", () => {
  assert.equal(applyDraftDelta("# Plan", "more", 40), null); // a delta was missed
  assert.equal(applyDraftDelta("# Plan", "", 9), null);
});

test("a delta at 0 starts the text over: a subscription's snapshot, a new attempt", () => {
  assert.equal(applyDraftDelta("# Pl", "# Plan\nText", 11), "# Plan\nText");
  assert.equal(applyDraftDelta("# Plan", "new", 3), "new");
  assert.equal(applyDraftDelta("# Plan", null, 0), "");
});

test("draft lengths count code points, so an emoji is one", () => {
  assert.equal(applyDraftDelta("", "Go 🚗", 4), "Go 🚗");
  assert.equal(applyDraftDelta("Go 🚗", " now", 8), "Go 🚗 now");
  assert.equal(applyDraftDelta("Go 🚗 now", "🚗!", 5), "Go 🚗!");
});

test("an API field error finds the nearest field the form shows", () => {
  assert.deepEqual(candidatePaths("familyMembers[1].medicalNeeds[0]"), [
    "familyMembers[1].medicalNeeds[0]",
    "familyMembers[1].medicalNeeds",
    "familyMembers[1]",
    "familyMembers",
  ]);
  const shown = new Set(["familyMembers[1].medicalNeeds", "location.city"]);
  const placed = placeErrors(
    [
      { field: "familyMembers[1].medicalNeeds[0]", message: "too long" },
      { field: "location.city", message: "required" },
      { field: "input", message: "bad input" },
    ],
    (path) => shown.has(path),
  );
  assert.deepEqual([...placed], [
    ["familyMembers[1].medicalNeeds", ["too long"]],
    ["location.city", ["required"]],
    ["", ["bad input"]],
  ]);
});

test("markdown blocks: headings, lists, paragraphs, code", () => {
  const blocks = parseBlocks("# Title\n\nOne\ntwo\n\n- a\n- b\n1. c\n```\n<b>x</b>\n```");
  assert.deepEqual(blocks, [
    { type: "heading", level: 1, text: "Title" },
    { type: "paragraph", text: "One two" },
    { type: "list", ordered: false, items: ["a", "b"] },
    { type: "list", ordered: true, items: ["c"] },
    { type: "code", lines: ["<b>x</b>"] },
  ]);
});

test("markdown inline: emphasis, code and only safe links", () => {
  assert.deepEqual(parseInline("**Water** and `radio` [site](https://example.org/a)"), [
    { type: "strong", children: [{ type: "text", text: "Water" }] },
    { type: "text", text: " and " },
    { type: "code", text: "radio" },
    { type: "text", text: " " },
    { type: "link", href: "https://example.org/a", text: "site" },
  ]);
  assert.deepEqual(parseInline("[x](javascript:alert(1))"), [
    { type: "text", text: "x" },
    { type: "text", text: ")" },
  ]);
  assert.equal(safeHref("javascript:alert(1)"), null);
  assert.equal(safeHref("//evil.example"), null);
  assert.equal(safeHref("data:text/html,hi"), null);
  assert.equal(safeHref("/plans/1"), "/plans/1");
  assert.equal(safeHref("mailto:a@example.org"), "mailto:a@example.org");
});

test("markdown parsing stays linear on hostile text", () => {
  const hostile = ["[".repeat(100_000) + "](", "*a ".repeat(50_000), "`".repeat(1) + "x".repeat(100_000)];
  for (const text of hostile) {
    const started = performance.now();
    parseInline(text);
    parseBlocks(text);
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
  }
});

test("bundle prices add up in cents", () => {
  assert.equal(centsOf("149.00"), 14900);
  assert.equal(centsOf("0.5"), 50);
  assert.equal(centsOf("abc"), null);
  assert.equal(dollars(centsOf("149.00") + centsOf("1299.99")), "$1,448.99");
});

test("a resumed stream's repeated events are dropped", () => {
  const tracker = new SequenceTracker();
  assert.equal(tracker.accept({ sequence: 4 }), true);
  assert.equal(tracker.accept({ sequence: 4 }), false);
  assert.equal(tracker.accept({ sequence: 5 }), true);
  assert.equal(tracker.last, 5);
});
