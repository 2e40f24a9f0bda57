// The plan text as it is written: each progress event carries the text added since the
// previous one (draftDelta) and the draft's length after it (draftLength). The delta
// starts at draftLength minus its own length: a subscription's first event carries the
// whole draft so far at 0, and a new attempt starts over at 0. Lengths count Unicode
// code points, as the API does, not the UTF-16 units of a JavaScript string's length.

/** The number of code points in `text` (an emoji is one, though two UTF-16 units). */
export function codePointLength(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function firstCodePoints(text, count) {
  let end = 0;
  for (let seen = 0; seen < count; seen += 1) end += text.codePointAt(end) > 0xffff ? 2 : 1;
  return text.slice(0, end);
}

/**
 * The draft after `delta`, or null when it does not line up (it starts past the end of
 * the text: an event was missed): the caller then reads the report's draft again.
 */
export function applyDraftDelta(draft, delta, length) {
  if (typeof length !== "number") return draft;
  const text = delta ?? "";
  const start = length - codePointLength(text);
  const have = codePointLength(draft);
  if (start < 0 || start > have) return null;
  return (start === have ? draft : firstCodePoints(draft, start)) + text;
}
