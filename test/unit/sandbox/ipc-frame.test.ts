import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDecoder, HEADER_BYTES, encodeFrame } from '../../../sandbox/ipc/frame.ts';

const header = (n: number): Buffer => {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32BE(n, 0);
  return b;
};

describe('IPC frames', () => {
  it('round-trips messages split across arbitrary chunk boundaries', () => {
    const a = encodeFrame({ t: 'ready' });
    const b = encodeFrame({ t: 'result', id: 'j1', ok: true, value: 'é😀' });
    assert.ok(a.ok && b.ok);
    const all = Buffer.concat([a.frame, b.frame]);
    const decoder = new FrameDecoder();
    const messages: unknown[] = [];
    for (let i = 0; i < all.length; i++) {
      for (const e of decoder.push(all.subarray(i, i + 1))) {
        assert.equal(e.kind, 'message');
        if (e.kind === 'message') messages.push(e.message);
      }
    }
    assert.deepEqual(messages, [{ t: 'ready' }, { t: 'result', id: 'j1', ok: true, value: 'é😀' }]);
  });

  it('rejects a header declaring 4 GiB with SBX_ERR_FRAME_TOO_LARGE before any body arrives', () => {
    const decoder = new FrameDecoder();
    const events = decoder.push(header(0xffffffff));
    assert.deepEqual(events, [{ kind: 'error', error: { code: 'SBX_ERR_FRAME_TOO_LARGE', declared: 0xffffffff, max: 256 * 1024 } }]);
  });

  it('rejects a frame one byte over 256 KiB and accepts one of exactly 256 KiB', () => {
    assert.equal(new FrameDecoder().push(header(256 * 1024 + 1))[0]?.kind, 'error');
    const body = Buffer.from(JSON.stringify('x'.repeat(256 * 1024 - 2)));
    assert.equal(body.length, 256 * 1024);
    const events = new FrameDecoder().push(Buffer.concat([header(body.length), body]));
    assert.equal(events[0]?.kind, 'message');
  });

  it('stays poisoned after an error (the stream is out of sync)', () => {
    const decoder = new FrameDecoder();
    decoder.push(header(0xffffffff));
    const ok = encodeFrame({ t: 'ready' });
    assert.ok(ok.ok);
    assert.equal(decoder.push(ok.frame)[0]?.kind, 'error');
    assert.equal(decoder.failed?.code, 'SBX_ERR_FRAME_TOO_LARGE');
  });

  it('rejects a body that is not JSON with SBX_ERR_BAD_FRAME', () => {
    const events = new FrameDecoder().push(Buffer.concat([header(5), Buffer.from('{oops')]));
    assert.deepEqual(events, [{ kind: 'error', error: { code: 'SBX_ERR_BAD_FRAME', reason: 'frame body is not JSON' } }]);
  });

  it('refuses to encode a message over the cap, or one that is not serialisable', () => {
    const big = encodeFrame({ s: 'x'.repeat(300 * 1024) });
    assert.equal(big.ok ? 'ok' : big.error.code, 'SBX_ERR_FRAME_TOO_LARGE');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const bad = encodeFrame(cyclic);
    assert.equal(bad.ok ? 'ok' : bad.error.code, 'SBX_ERR_BAD_FRAME');
    const small = encodeFrame({ a: 1 }, 4);
    assert.equal(small.ok ? 'ok' : small.error.code, 'SBX_ERR_FRAME_TOO_LARGE');
  });
});
