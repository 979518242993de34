// json.query: a small, strict path language.
//   path    := ['$'] segment*            (a leading bare name is allowed: a.b.0)
//   segment := '.' name | '.' index | '[' index ']' | '[' quoted ']'
//   name    := [A-Za-z_][A-Za-z0-9_-]*   index := 0 | [1-9][0-9]{0,8}
//   quoted  := "..." with no quote, backslash or control character inside
// At most 64 segments. __proto__, constructor and prototype are refused. Only own
// properties are followed, so nothing inherited is ever read.
const MAX_SEGMENTS = 64;
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const TOKEN = /^(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\.(0|[1-9][0-9]{0,8})|\[(0|[1-9][0-9]{0,8})\]|\["([^"\\\u0000-\u001f]{1,256})"\])/;

function parsePath(path) {
  let rest = path;
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (/^[A-Za-z_0-9]/.test(rest)) rest = '.' + rest;
  else throw new Error('path must start with $ or a name');
  const segments = [];
  while (rest.length > 0) {
    const m = TOKEN.exec(rest);
    if (m === null) throw new Error('unsupported path syntax at: ' + rest.slice(0, 32));
    const name = m[1] ?? m[4];
    if (name !== undefined) {
      if (FORBIDDEN.includes(name)) throw new Error('path segment not allowed: ' + name);
      segments.push({ key: name });
    } else {
      segments.push({ index: Number(m[2] ?? m[3]) });
    }
    if (segments.length > MAX_SEGMENTS) throw new Error('path has more than ' + MAX_SEGMENTS + ' segments');
    rest = rest.slice(m[0].length);
  }
  return segments;
}

let current = args.data;
for (const seg of parsePath(args.path)) {
  if (Array.isArray(current)) {
    const i = seg.index ?? (/^(0|[1-9][0-9]*)$/.test(seg.key) ? Number(seg.key) : -1);
    if (i < 0 || i >= current.length) return { found: false };
    current = current[i];
  } else if (current !== null && typeof current === 'object') {
    const key = seg.key ?? String(seg.index);
    if (!Object.hasOwn(current, key)) return { found: false };
    current = current[key];
  } else {
    return { found: false };
  }
}
return { found: true, value: current };
