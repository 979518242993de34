// text.transform: one of a fixed set of string operations. Unknown ops throw.
const text = args.text;
const op = args.op;
const codePoints = (s) => Array.from(s);
let result;
switch (op) {
  case 'upper': result = text.toUpperCase(); break;
  case 'lower': result = text.toLowerCase(); break;
  case 'trim': result = text.trim(); break;
  case 'reverse': result = codePoints(text).reverse().join(''); break;
  case 'title':
    result = text.toLowerCase().replace(/(^|[\s\-_])(\p{L})/gu, (_m, sep, ch) => sep + ch.toUpperCase());
    break;
  case 'length': result = codePoints(text).length; break;
  case 'word_count': {
    const words = text.trim().split(/\s+/u).filter((w) => w.length > 0);
    result = words.length;
    break;
  }
  default: throw new Error('unknown op');
}
return { op, result };
