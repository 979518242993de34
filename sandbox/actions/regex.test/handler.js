// regex.test: first match of `pattern` in `text`. Flags are re-checked here (the schema
// already allows only i, m, s, u once each); g and y are refused because they make the
// result depend on lastIndex state. Runaway backtracking is ended by the sandbox time limit.
const MAX_PATTERN = 512;
const flags = args.flags ?? '';
if (typeof args.pattern !== 'string' || args.pattern.length === 0 || args.pattern.length > MAX_PATTERN) {
  throw new Error('pattern must be 1..' + MAX_PATTERN + ' characters');
}
if (!/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length) {
  throw new Error('flags may only contain i, m, s, u, each once');
}
let re;
try {
  re = new RegExp(args.pattern, flags);
} catch (e) {
  throw new Error('invalid pattern: ' + e.message);
}
const m = re.exec(args.text);
if (m === null) return { matched: false, index: -1, match: null, groups: [], named: {} };
const named = {};
if (m.groups) for (const key of Object.keys(m.groups)) named[key] = m.groups[key] ?? null;
return {
  matched: true,
  index: m.index,
  match: m[0],
  groups: m.slice(1).map((g) => (g === undefined ? null : g)),
  named,
};
