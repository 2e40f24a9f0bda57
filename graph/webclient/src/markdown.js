// Markdown to DOM nodes, for the plan text. The API already strips raw HTML and unsafe
// links; this still builds only elements and text nodes (never innerHTML), allows only
// http(s), mailto and same-site links, and runs in time linear in the text.

const MAX_HEADING = 6;

/** Blocks: {type: "heading", level, text} | {type: "paragraph", text} | list | quote | code | rule */
export function parseBlocks(markdown) {
  const blocks = [];
  let paragraph = [];
  let list = null;
  let code = null;
  const flush = () => {
    if (paragraph.length) blocks.push({ type: "paragraph", text: paragraph.join(" ") });
    paragraph = [];
    list = null;
  };
  for (const rawLine of String(markdown ?? "").split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    if (code) {
      if (line.trimStart().startsWith("```")) {
        blocks.push(code);
        code = null;
      } else {
        code.lines.push(line);
      }
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith("```")) {
      flush();
      code = { type: "code", lines: [] };
      continue;
    }
    if (trimmed === "") {
      flush();
      continue;
    }
    const heading = headingOf(trimmed);
    if (heading) {
      flush();
      blocks.push(heading);
      continue;
    }
    if (/^(-{3,}|\*{3,})$/.test(trimmed)) {
      flush();
      blocks.push({ type: "rule" });
      continue;
    }
    const item = listItemOf(trimmed);
    if (item) {
      if (paragraph.length) flush();
      if (!list || list.ordered !== item.ordered) {
        list = { type: "list", ordered: item.ordered, items: [] };
        blocks.push(list);
      }
      list.items.push(item.text);
      continue;
    }
    if (trimmed.startsWith(">")) {
      flush();
      blocks.push({ type: "quote", text: trimmed.replace(/^>\s?/, "") });
      continue;
    }
    if (list && /^\s/.test(line)) {
      // An indented line continues the list item above it.
      list.items[list.items.length - 1] += ` ${trimmed}`;
      continue;
    }
    list = null;
    paragraph.push(trimmed);
  }
  if (code) blocks.push(code);
  flush();
  return blocks;
}

function headingOf(line) {
  let level = 0;
  while (level < line.length && line[level] === "#") level++;
  if (level === 0 || level > MAX_HEADING || line[level] !== " ") return null;
  return { type: "heading", level, text: line.slice(level + 1).trim() };
}

function listItemOf(line) {
  if ((line.startsWith("- ") || line.startsWith("* ") || line.startsWith("+ ")) && line.length > 2) {
    return { ordered: false, text: line.slice(2).trim() };
  }
  const match = /^(\d{1,9})[.)] (.*)$/.exec(line);
  return match ? { ordered: true, text: match[2].trim() } : null;
}

/** Inline spans: {type: "text"|"strong"|"em"|"code"|"link", text, href?, children?} */
export function parseInline(text) {
  const spans = [];
  const missing = new Set(); // closers known to be absent from the rest: never searched again
  let plain = "";
  let i = 0;
  const push = (span) => {
    if (plain) spans.push({ type: "text", text: plain });
    plain = "";
    spans.push(span);
  };
  const closing = (marker, from) => {
    if (missing.has(marker)) return -1;
    const at = text.indexOf(marker, from);
    if (at < 0) missing.add(marker);
    return at;
  };
  while (i < text.length) {
    const char = text[i];
    if (char === "`") {
      const end = closing("`", i + 1);
      if (end > i) {
        push({ type: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    } else if (text.startsWith("**", i) || text.startsWith("__", i)) {
      const marker = text.slice(i, i + 2);
      const end = closing(marker, i + 2);
      if (end > i + 2) {
        push({ type: "strong", children: parseFlat(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    } else if ((char === "*" || char === "_") && text[i + 1] && text[i + 1] !== " ") {
      const end = closing(char, i + 1);
      if (end > i + 1) {
        push({ type: "em", children: parseFlat(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    } else if (char === "[" && !missing.has(")")) {
      const middle = closing("](", i + 1);
      const end = middle > i ? closing(")", middle + 2) : -1;
      if (end > middle && middle > i) {
        const href = safeHref(text.slice(middle + 2, end).trim());
        const label = text.slice(i + 1, middle);
        push(href ? { type: "link", href, text: label } : { type: "text", text: label });
        i = end + 1;
        continue;
      }
    }
    plain += char;
    i++;
  }
  if (plain) spans.push({ type: "text", text: plain });
  return spans;
}

/** Inside strong or em: only code and plain text, so nesting costs no second pass. */
function parseFlat(text) {
  return parseInline(text).map((span) =>
    span.children ? { type: "text", text: span.children.map(flatText).join("") } : span,
  );
}

function flatText(span) {
  return span.children ? span.children.map(flatText).join("") : span.text;
}

export function safeHref(raw) {
  if (raw.startsWith("/") && !raw.startsWith("//")) return raw;
  if (raw.startsWith("#")) return raw;
  try {
    const url = new URL(raw);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** The rendered markdown as a DocumentFragment. */
export function renderMarkdown(markdown, { headingOffset = 1 } = {}) {
  const fragment = document.createDocumentFragment();
  for (const block of parseBlocks(markdown)) fragment.append(blockNode(block, headingOffset));
  return fragment;
}

function blockNode(block, headingOffset) {
  switch (block.type) {
    case "heading": {
      const level = Math.min(block.level + headingOffset, MAX_HEADING);
      return withInline(document.createElement(`h${level}`), block.text);
    }
    case "list": {
      const list = document.createElement(block.ordered ? "ol" : "ul");
      for (const item of block.items) list.append(withInline(document.createElement("li"), item));
      return list;
    }
    case "quote":
      return withInline(document.createElement("blockquote"), block.text);
    case "code": {
      const pre = document.createElement("pre");
      pre.textContent = block.lines.join("\n");
      return pre;
    }
    case "rule":
      return document.createElement("hr");
    default:
      return withInline(document.createElement("p"), block.text);
  }
}

export function withInline(element, text) {
  for (const span of parseInline(text)) element.append(spanNode(span));
  return element;
}

function spanNode(span) {
  if (span.type === "text") return document.createTextNode(span.text);
  const tag = { strong: "strong", em: "em", code: "code", link: "a" }[span.type];
  const element = document.createElement(tag);
  if (span.type === "link") {
    element.setAttribute("href", span.href);
    if (!span.href.startsWith("/") && !span.href.startsWith("#")) {
      element.setAttribute("rel", "noopener noreferrer nofollow");
      element.setAttribute("target", "_blank");
    }
  }
  if (span.children) {
    for (const child of span.children) element.append(spanNode(child));
  } else {
    element.textContent = span.text;
  }
  return element;
}
