import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { StandbyContainers } from '../../../sandbox/docker/standby.ts';
import type { WorkerContainer } from '../../../sandbox/docker/worker-container.ts';

/** a stand-in for a started WorkerContainer: id, ready time, dead flag, destroy() */
interface Fake { id: number; readyAt: number; dead: boolean; destroyed: boolean; onDeath: (() => void) | undefined; destroy(): Promise<void> }

function harness(count: number, maxIdleMs = 60_000) {
  const started: Fake[] = [];
  const lines: string[] = [];
  let failNext = false;
  const standby = new StandbyContainers({
    count, maxIdleMs, log: (l) => void lines.push(l),
    start: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (failNext) {
        failNext = false;
        throw new Error('no image');
      }
      const fake: Fake = {
        id: started.length, readyAt: Date.now(), dead: false, destroyed: false, onDeath: undefined,
        destroy() {
          this.destroyed = true;
          this.dead = true;
          this.onDeath?.();
          return Promise.resolve();
        },
      };
      started.push(fake);
      return fake as unknown as WorkerContainer;
    },
  });
  return { standby, started, lines, failStart: () => { failNext = true; } };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
const SPEC = { Image: 'a' } as Docker.ContainerCreateOptions;

test('the first take starts a container, then one standby; the next take gets that standby at once and a new one starts', async () => {
  const h = harness(1);
  const first = (await h.standby.take(SPEC)) as unknown as Fake;
  assert.equal(first.id, 0);
  await settle();
  assert.equal(h.standby.readyCount, 1);
  const second = (await h.standby.take(SPEC)) as unknown as Fake;
  assert.equal(second.id, 1, 'the standby started after the first take');
  await settle();
  assert.equal(h.started.length, 3, 'a new standby after the hand-over');
  assert.equal(h.standby.readyCount, 1);
  await h.standby.close();
  assert.equal(h.started[2]!.destroyed, true, 'close removes the standby');
  assert.equal(first.destroyed || second.destroyed, false, 'close leaves the handed-over containers to the pool');
});

test('a dead, a too old or another spec\'s standby is removed, not handed over', async () => {
  const h = harness(1, 1_000);
  await h.standby.take(SPEC);
  await settle();
  h.started[1]!.dead = true;
  assert.equal(((await h.standby.take(SPEC)) as unknown as Fake).id, 2, 'dead standby skipped');
  assert.equal(h.started[1]!.destroyed, true);
  await settle();
  h.started[3]!.readyAt -= 1_000;
  assert.equal(((await h.standby.take(SPEC)) as unknown as Fake).id, 4, 'old standby skipped');
  assert.equal(h.started[3]!.destroyed, true);
  await settle();
  assert.equal(((await h.standby.take({ Image: 'b' } as Docker.ContainerCreateOptions)) as unknown as Fake).id, 6, 'standby of another spec skipped');
  assert.equal(h.started[5]!.destroyed, true);
  await h.standby.close();
});

test('a standby that ends while waiting leaves the ready list; a failed standby start is logged and retried at the next take', async () => {
  const h = harness(1);
  h.failStart();
  await assert.rejects(h.standby.take(SPEC), /no image/);
  assert.equal(((await h.standby.take(SPEC)) as unknown as Fake).id, 0);
  h.failStart();
  await settle();
  assert.equal(h.standby.readyCount, 0);
  assert.match(h.lines.join('\n'), /standby container failed to start: no image/);
  await h.standby.take(SPEC);
  await settle();
  assert.equal(h.standby.readyCount, 1);
  await h.started.at(-1)!.destroy();
  assert.equal(h.standby.readyCount, 0, 'its death removed it');
  await h.standby.close();
});

test('count 0: no standby is ever started; close while a standby is starting removes it once started', async () => {
  const none = harness(0);
  await none.standby.take(SPEC);
  await settle();
  assert.equal(none.started.length, 1);
  const h = harness(1);
  await h.standby.take(SPEC);
  await h.standby.close(); // the standby start is in flight
  assert.equal(h.started.length, 2);
  assert.equal(h.started[1]!.destroyed, true);
});
