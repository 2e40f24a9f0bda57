// The plan text as it is written: each progress event carries the text added since the
// previous one (draftDelta) and the draft's length after it (draftLength).

/**
 * The draft after `delta`, or null when it does not line up (an event was missed, or
 * a new attempt started over): the caller then reads the report's draft again.
 */
export function applyDraftDelta(draft, delta, length) {
  if (typeof length !== "number") return draft;
  const text = delta ?? "";
  if (length === draft.length + text.length) return draft + text;
  if (length === draft.length) return draft;
  return null;
}
