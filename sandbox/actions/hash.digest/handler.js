// hash.digest: SHA-1 (FIPS 180-4 §6.1), SHA-256 (§6.2) and SHA-512 (§6.4) in plain
// JavaScript, because an isolate has no crypto. Round constants and initial values are
// derived exactly with BigInt integer roots of the first primes (§4.2, §5.3) rather than
// typed in. 64-bit words for SHA-512 are [hi, lo] pairs of unsigned 32-bit numbers.

function utf8(str) {
  const out = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (str.charCodeAt(i + 1) - 0xdc00);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd; // lone surrogate, as TextEncoder does
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

// message + 0x80 + zeros + big-endian bit length in the last `lenBytes` bytes
function pad(bytes, blockSize, lenBytes) {
  const total = Math.ceil((bytes.length + 1 + lenBytes) / blockSize) * blockSize;
  const out = new Uint8Array(total);
  out.set(bytes);
  out[bytes.length] = 0x80;
  const bits = bytes.length * 8;
  const hi = Math.floor(bits / 4294967296);
  const lo = bits >>> 0;
  for (let k = 0; k < 4; k++) {
    out[total - 1 - k] = (lo >>> (8 * k)) & 0xff;
    out[total - 5 - k] = (hi >>> (8 * k)) & 0xff;
  }
  return out;
}

function word(m, i) {
  return ((m[i] << 24) | (m[i + 1] << 16) | (m[i + 2] << 8) | m[i + 3]) >>> 0;
}

function primes(n) {
  const found = [];
  for (let k = 2; found.length < n; k++) if (found.every((q) => k % q !== 0)) found.push(k);
  return found;
}

// floor(x ** (1/r)) for BigInt x > 0 (Newton's method from an over-estimate)
function iroot(x, r) {
  let y = 1n << BigInt(Math.ceil(x.toString(2).length / Number(r)) + 1);
  for (;;) {
    const z = ((r - 1n) * y + x / y ** (r - 1n)) / r;
    if (z >= y) return y;
    y = z;
  }
}

// first `bits` bits of the fractional part of the r-th root of each of the first n primes
function fractions(n, r, bits) {
  const mask = (1n << BigInt(bits)) - 1n;
  return primes(n).map((p) => iroot(BigInt(p) << (BigInt(bits) * r), r) & mask);
}

const hex32 = (x) => (x >>> 0).toString(16).padStart(8, '0');
const rotl = (x, n) => (x << n) | (x >>> (32 - n));
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

function sha1(bytes) {
  const H = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const m = pad(bytes, 64, 8);
  const w = new Array(80);
  for (let off = 0; off < m.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = word(m, off + 4 * t);
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1) >>> 0;
    let [a, b, c, d, e] = H;
    for (let t = 0; t < 80; t++) {
      let f, k;
      if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const temp = (rotl(a, 5) + f + e + k + w[t]) >>> 0;
      e = d; d = c; c = rotl(b, 30) >>> 0; b = a; a = temp;
    }
    H[0] = (H[0] + a) >>> 0; H[1] = (H[1] + b) >>> 0; H[2] = (H[2] + c) >>> 0;
    H[3] = (H[3] + d) >>> 0; H[4] = (H[4] + e) >>> 0;
  }
  return H.map(hex32).join('');
}

function sha256(bytes) {
  const K = fractions(64, 3n, 32).map(Number);
  const H = fractions(8, 2n, 32).map(Number);
  const m = pad(bytes, 64, 8);
  const w = new Array(64);
  for (let off = 0; off < m.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = word(m, off + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t] + w[t]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    const v = [a, b, c, d, e, f, g, h];
    for (let i = 0; i < 8; i++) H[i] = (H[i] + v[i]) >>> 0;
  }
  return H.map(hex32).join('');
}

// 64-bit helpers on [hi, lo]
const split = (big) => [Number(big >> 32n), Number(big & 0xffffffffn)];
const R64 = (x, n) => n < 32
  ? [((x[0] >>> n) | (x[1] << (32 - n))) >>> 0, ((x[1] >>> n) | (x[0] << (32 - n))) >>> 0]
  : [((x[1] >>> (n - 32)) | (x[0] << (64 - n))) >>> 0, ((x[0] >>> (n - 32)) | (x[1] << (64 - n))) >>> 0];
const S64 = (x, n) => [x[0] >>> n, ((x[1] >>> n) | (x[0] << (32 - n))) >>> 0];
const X64 = (...xs) => xs.reduce((p, q) => [(p[0] ^ q[0]) >>> 0, (p[1] ^ q[1]) >>> 0]);
function A64(...xs) {
  let hi = 0;
  let lo = 0;
  for (const x of xs) { hi += x[0]; lo += x[1]; }
  return [(hi + Math.floor(lo / 4294967296)) >>> 0, lo >>> 0];
}

function sha512(bytes) {
  const K = fractions(80, 3n, 64).map(split);
  const H = fractions(8, 2n, 64).map(split);
  const m = pad(bytes, 128, 16);
  const w = new Array(80);
  for (let off = 0; off < m.length; off += 128) {
    for (let t = 0; t < 16; t++) w[t] = [word(m, off + 8 * t), word(m, off + 8 * t + 4)];
    for (let t = 16; t < 80; t++) {
      const s0 = X64(R64(w[t - 15], 1), R64(w[t - 15], 8), S64(w[t - 15], 7));
      const s1 = X64(R64(w[t - 2], 19), R64(w[t - 2], 61), S64(w[t - 2], 6));
      w[t] = A64(w[t - 16], s0, w[t - 7], s1);
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 80; t++) {
      const S1 = X64(R64(e, 14), R64(e, 18), R64(e, 41));
      const ch = [((e[0] & f[0]) ^ (~e[0] & g[0])) >>> 0, ((e[1] & f[1]) ^ (~e[1] & g[1])) >>> 0];
      const t1 = A64(h, S1, ch, K[t], w[t]);
      const S0 = X64(R64(a, 28), R64(a, 34), R64(a, 39));
      const maj = [((a[0] & b[0]) ^ (a[0] & c[0]) ^ (b[0] & c[0])) >>> 0, ((a[1] & b[1]) ^ (a[1] & c[1]) ^ (b[1] & c[1])) >>> 0];
      const t2 = A64(S0, maj);
      h = g; g = f; f = e; e = A64(d, t1); d = c; c = b; b = a; a = A64(t1, t2);
    }
    const v = [a, b, c, d, e, f, g, h];
    for (let i = 0; i < 8; i++) H[i] = A64(H[i], v[i]);
  }
  return H.map((x) => hex32(x[0]) + hex32(x[1])).join('');
}

const bytes = utf8(args.data);
switch (args.algorithm) {
  case 'sha1': return { algorithm: 'sha1', hex: sha1(bytes) };
  case 'sha256': return { algorithm: 'sha256', hex: sha256(bytes) };
  case 'sha512': return { algorithm: 'sha512', hex: sha512(bytes) };
  default: throw new Error('unsupported algorithm');
}
