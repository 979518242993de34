/** `palisade doctor`'s runtime line (issue 20): the backend's own decision against the daemon's runtimes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runtimeCheck, type DockerProbe } from '../../../scripts/cli/doctor-probes.ts';

const GOOD = ['--platform=ptrace', '--network=none', '--oci-seccomp', '--overlay2=none'];
const probe = (runtimes: Record<string, string[]>): DockerProbe => ({ reachable: true, detail: 'Docker 20.10', securityOptions: ['name=seccomp'], runtimes });

test('runsc registered as ensure-docker.sh does: ok, named as gVisor', () => {
  const c = runtimeCheck('auto', probe({ runc: [], runsc: GOOD }), false);
  assert.equal(c.status, 'ok');
  assert.match(c.detail, /runsc \(gVisor\)/);
});

test('auto without runsc: a warning that the gVisor layer is missing, with the fix', () => {
  const c = runtimeCheck('auto', probe({ runc: [] }), false);
  assert.equal(c.status, 'warn');
  assert.match(c.detail, /under runc/);
  assert.match(c.fix ?? '', /ensure-docker\.sh/);
});

test('runsc configured but registered without --oci-seccomp: fails when Docker is required, warns otherwise', () => {
  const weak = probe({ runc: [], runsc: ['--platform=ptrace', '--overlay2=none'] });
  assert.equal(runtimeCheck('runsc', weak, true).status, 'fail');
  assert.equal(runtimeCheck('runsc', weak, false).status, 'warn');
  assert.match(runtimeCheck('runsc', weak, true).detail, /--oci-seccomp/);
  assert.equal(runtimeCheck('runsc', probe({}), true).status, 'fail');
});

test('runc pinned: ok, and says there is no gVisor layer', () => {
  const c = runtimeCheck('runc', probe({ runc: [], runsc: GOOD }), true);
  assert.equal(c.status, 'ok');
  assert.match(c.detail, /no gVisor layer/);
});
