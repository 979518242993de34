/**
 * Issue 18.14: the repository's docs stand alone — README.md, SECURITY.md and docs/**.md link
 * or refer to nothing outside the repository (no ../shared/DESIGN.md), every relative link
 * resolves to a file in it, and README's configuration table lists exactly the PALISADE_*
 * variables the config parser knows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { KNOWN_VARIABLES } from '../../../agent-gateway/config.ts';

const ROOT = resolve(new URL('../../../', import.meta.url).pathname);

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md'), join(ROOT, 'SECURITY.md')];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out;
}

const inside = (p: string): boolean => p === ROOT || p.startsWith(ROOT + sep);

test('no doc links or refers to a path outside the repository; relative links resolve', () => {
  const problems: string[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    if (/shared\/DESIGN\.md/.test(text)) problems.push(`${rel}: refers to shared/DESIGN.md, which is not in the repository`);
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] as string;
      if (/^https?:\/\//.test(target)) {
        if (!/^https?:\/\/(127\.0\.0\.1|localhost)([:/]|$)/.test(target)) problems.push(`${rel}: links off the repository: ${target}`);
        continue;
      }
      if (target.startsWith('#') || target.startsWith('mailto:')) continue;
      const path = resolve(dirname(file), decodeURIComponent(target.split('#')[0] as string));
      if (!inside(path)) problems.push(`${rel}: links outside the repository: ${target}`);
      else if (!existsSync(path)) problems.push(`${rel}: broken link: ${target}`);
    }
    // plain-text relative paths (in backticks or prose) that climb out of the repository
    for (const m of text.matchAll(/(?:^|[\s`(])((?:\.\.\/)+[\w./-]+)/g)) {
      if (!inside(resolve(dirname(file), m[1] as string))) problems.push(`${rel}: refers to ${m[1]} outside the repository`);
    }
  }
  assert.deepEqual(problems, []);
});

/** PALISADE_* names in the first column of README's Configuration table, `/`-shorthands expanded. */
export function readmeVariables(readme: string): Set<string> {
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| PALISADE_')) continue;
    const cell = line.split('|')[1] ?? '';
    let base = '';
    for (const raw of cell.split(/[/,]/).map((t) => t.trim().replace(/`/g, '')).filter((t) => t !== '')) {
      if (raw.startsWith('PALISADE_')) {
        base = raw;
        names.add(raw);
      } else if (/^_[A-Z0-9]+_$/.test(raw)) {
        // `_ANTHROPIC_` after PALISADE_OPENAI_BASE_URL → PALISADE_ANTHROPIC_BASE_URL
        names.add(base.replace(/^PALISADE_[A-Z0-9]+_/, `PALISADE${raw}`));
      } else if (/^_[A-Z0-9_]+$/.test(raw)) {
        // `_CPUS` after PALISADE_DOCKER_MEMORY → PALISADE_DOCKER_CPUS
        names.add(base.replace(/_[A-Z0-9]+$/, raw));
      } else names.add(`unparsed:${raw}`);
    }
  }
  return names;
}

test('README\'s configuration table and the config parser know the same PALISADE_* variables', () => {
  const documented = readmeVariables(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const known = new Set(KNOWN_VARIABLES);
  assert.deepEqual([...known].filter((n) => !documented.has(n)).sort(), [], 'known to the parser but missing from README');
  assert.deepEqual([...documented].filter((n) => !known.has(n)).sort(), [], 'in README but unknown to the parser');
});

test('the table parser expands the shorthands', () => {
  const names = readmeVariables('## Configuration\n| PALISADE_DOCKER_MEMORY / _CPUS | x |\n| PALISADE_OPENAI_BASE_URL / _OLLAMA_ | y |\n## Next\n| PALISADE_NOT_HERE | z |\n');
  assert.deepEqual([...names].sort(), ['PALISADE_DOCKER_CPUS', 'PALISADE_DOCKER_MEMORY', 'PALISADE_OLLAMA_BASE_URL', 'PALISADE_OPENAI_BASE_URL']);
});
