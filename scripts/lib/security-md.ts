// Checks SECURITY.md's claims against the repository: every named test file exists, and every row of
// the threat table names at least one test file.
export interface MdTable { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[]; readonly line: number }

const TEST_PATH = /\btest\/[A-Za-z0-9_@./-]+?\.test\.ts\b/g;

/** Splits a GFM table row on unescaped pipes; `\|` stays inside the cell. */
export function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  const body = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && body[i + 1] === '|') { cur += '|'; i++; } else if (ch === '|') { cells.push(cur.trim()); cur = ''; } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

export function parseTables(markdown: string): MdTable[] {
  const lines = markdown.split(/\r?\n/);
  const tables: MdTable[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i] ?? '';
    const sep = lines[i + 1] ?? '';
    if (!head.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(sep)) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').trim().startsWith('|'); j++) rows.push(splitRow(lines[j] ?? ''));
    tables.push({ header: splitRow(head), rows, line: i + 1 });
    i = j - 1;
  }
  return tables;
}

export function testPathsIn(text: string): string[] {
  return [...new Set(text.match(TEST_PATH) ?? [])].sort();
}

/** Problems found in SECURITY.md; `exists` answers whether a repo-relative path is a file. */
export function checkSecurityMd(markdown: string, exists: (repoPath: string) => boolean): string[] {
  const problems: string[] = [];
  for (const p of testPathsIn(markdown)) {
    if (p.split('/').includes('..')) problems.push(`test path escapes test/: ${p}`);
    else if (!exists(p)) problems.push(`named test file does not exist: ${p}`);
  }
  const threatTables = parseTables(markdown).filter((t) => /^threats?$/i.test(t.header[0] ?? ''));
  if (threatTables.length === 0) problems.push('no threat table (a table whose first column is "Threat")');
  for (const t of threatTables) {
    const col = t.header.findIndex((h) => /^(tests?|test files?|proof|proved by)$/i.test(h));
    if (col < 0) { problems.push(`threat table at line ${t.line} has no Test column`); continue; }
    for (const row of t.rows) {
      const cell = row[col] ?? '';
      if (cell === '') problems.push(`threat "${row[0] ?? ''}" has an empty test column`);
      else if (testPathsIn(cell).length === 0) problems.push(`threat "${row[0] ?? ''}" names no test/…/*.test.ts file: ${cell}`);
    }
  }
  return problems;
}
