// Where an API field error is shown: the element for its GraphQL path, or for the
// nearest enclosing path the form has ("familyMembers[1].medicalNeeds[0]" falls back
// to "familyMembers[1].medicalNeeds", then "familyMembers[1]", then "familyMembers").

export function candidatePaths(path) {
  const paths = [];
  let current = String(path ?? "");
  while (current) {
    paths.push(current);
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
  }
  return paths;
}

/** Groups errors by the path of the element that shows them; the rest under "". */
export function placeErrors(errors, hasField) {
  const placed = new Map();
  for (const error of errors) {
    const target = candidatePaths(error.field).find(hasField) ?? "";
    if (!placed.has(target)) placed.set(target, []);
    placed.get(target).push(error.message);
  }
  return placed;
}
