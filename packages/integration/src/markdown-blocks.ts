/** The fenced code blocks of a markdown text, as the docs and README tests run them. */
export interface Block {
  /** The fence's language (`sh`, `ts`, `js`, `json`, `text`...), `''` for a plain fence. */
  readonly language: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The `## ` heading the block is under, `''` before the first. */
  readonly section: string;
  /** The `text` block right after it (only blank lines between), if any: its expected stdout. */
  readonly expected?: string;
}

export function extractBlocks(markdown: string): Block[] {
  const fences: { language: string; code: string; line: number; end: number; section: string }[] = [];
  const lines = markdown.split('\n');
  let section = '';
  for (let index = 0; index < lines.length; index += 1) {
    const heading = /^## (.*)$/.exec(lines[index]!);
    if (heading) section = heading[1]!.trim();
    const open = /^```(\w*)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const start = index;
    let end = index + 1;
    while (end < lines.length && lines[end] !== '```') end += 1;
    fences.push({ language: open[1]!, code: lines.slice(start + 1, end).join('\n'), line: start + 1, end, section });
    index = end;
  }
  return fences
    .filter((fence) => fence.language !== 'text')
    .map((fence) => {
      const next = fences[fences.indexOf(fence) + 1];
      const between = next ? lines.slice(fence.end + 1, next.line - 1) : [];
      const expected = next && next.language === 'text' && between.every((line) => line.trim() === '') ? `${next.code}\n` : undefined;
      const { language, code, line } = fence;
      return { language, code, line, section: fence.section, ...(expected !== undefined ? { expected } : {}) };
    });
}
