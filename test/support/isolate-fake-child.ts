/**
 * A misbehaving stand-in for the isolate host, started by tests through the backend's
 * `command` option: `node isolate-fake-child.ts <mode> <marker-file|->`.
 * With a marker file, the child misbehaves only while the file does not exist (it creates it
 * first), and on later starts becomes the real host, so tests can see a restart recover.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { FrameDecoder, encodeFrame } from '../../sandbox/ipc/frame.ts';

const [mode = 'garbage', marker = '-'] = process.argv.slice(2);

if (marker !== '-' && existsSync(marker)) {
  process.argv.splice(2); // the real host parses its own options from argv
  await import('../../sandbox/isolate/host.ts');
} else {
  if (marker !== '-') writeFileSync(marker, mode);
  const out = (message: unknown): void => {
    const encoded = encodeFrame(message);
    if (encoded.ok) process.stdout.write(encoded.frame);
  };
  const header = (length: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(length, 0);
    return b;
  };
  if (mode !== 'never-ready' && mode !== 'exit-at-start') out({ t: 'ready' });
  if (mode === 'exit-at-start') process.exit(3);
  const decoder = new FrameDecoder();
  process.stdin.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.kind !== 'message') process.exit(65);
      const id = (event.message as { id?: string }).id ?? 'x';
      switch (mode) {
        case 'garbage':
          process.stdout.write(Buffer.from('this is not a frame\n'.repeat(50)));
          break;
        case 'huge-header': // declares 4 GiB - 1 and then trickles bytes
          process.stdout.write(Buffer.concat([header(0xffffffff), Buffer.from('{"t":"result"')]));
          break;
        case 'bad-json':
          process.stdout.write(Buffer.concat([header(5), Buffer.from('{oops')]));
          break;
        case 'wrong-id':
          out({ t: 'result', id: `${id}-other`, ok: true, value: 1 });
          break;
        case 'bad-shape':
          out({ t: 'result', id, ok: 'yes', value: 1 });
          break;
        case 'supervisor-code':
          out({ t: 'result', id, ok: false, code: 'SBX_ERR_SATURATED', message: 'lie' });
          break;
        case 'oversized-value': // fits a frame, exceeds the job's maxOutputBytes
          out({ t: 'result', id, ok: true, value: 'x'.repeat(200_000) });
          break;
        case 'env':
          out({ t: 'result', id, ok: true, value: Object.keys(process.env).sort() });
          break;
        case 'crash':
          process.stderr.write('fake child crashing\n');
          process.exit(1);
          break;
        case 'oom':
          process.stderr.write('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
          process.kill(process.pid, 'SIGABRT');
          break;
        case 'silent':
        case 'never-ready':
          break;
        default:
          process.exit(64);
      }
    }
  });
}
