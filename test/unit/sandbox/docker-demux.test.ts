import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DockerDemuxer } from '../../../sandbox/docker/demux.ts';

function chunk(stream: number, body: Buffer | string): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

test('splits stdout from stderr and reassembles chunks split at any byte', () => {
  const wire = Buffer.concat([chunk(1, 'hello '), chunk(2, 'warn'), chunk(1, 'world')]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const demux = new DockerDemuxer({ maxChunkBytes: 1024, maxStderrBytes: 1024 });
    const events = [...demux.push(wire.subarray(0, cut)), ...demux.push(wire.subarray(cut))];
    const stdout = Buffer.concat(events.map((e) => (e.kind === 'stdout' ? e.data : Buffer.alloc(0)))).toString();
    assert.equal(stdout, 'hello world');
    assert.equal(demux.stderr, 'warn');
  }
});

test('rejects a chunk header declaring more than its cap before buffering the body', () => {
  const demux = new DockerDemuxer({ maxChunkBytes: 1024, maxStderrBytes: 1024 });
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(1025, 4);
  const events = demux.push(header);
  assert.deepEqual(events.map((e) => e.kind === 'error' && e.code), ['SBX_ERR_FRAME_TOO_LARGE']);
  assert.equal(demux.push(chunk(1, 'late')).at(0)?.kind, 'error', 'stays poisoned');
});

test('rejects an unknown stream byte or non-zero padding as a bad frame', () => {
  for (const bad of [Buffer.from([3, 0, 0, 0, 0, 0, 0, 1, 65]), Buffer.from([1, 0, 9, 0, 0, 0, 0, 1, 65])]) {
    const demux = new DockerDemuxer({ maxChunkBytes: 1024, maxStderrBytes: 1024 });
    const events = demux.push(bad);
    assert.equal(events.length, 1);
    assert.ok(events[0]?.kind === 'error' && events[0].code === 'SBX_ERR_BAD_FRAME');
  }
});

test('keeps only the first maxStderrBytes of stderr', () => {
  const demux = new DockerDemuxer({ maxChunkBytes: 1 << 20, maxStderrBytes: 10 });
  demux.push(chunk(2, 'x'.repeat(100_000)));
  demux.push(chunk(2, 'y'.repeat(100)));
  assert.equal(demux.stderr, 'x'.repeat(10));
});
