/** `palisade doctor`: checks this machine can run Palisade safely; each problem comes with a fix. */
import { parseConfig } from '../../agent-gateway/config.ts';
import { parse } from './args.ts';
import { checkAuditKey, checkConfig, checkDataDir, checkNodeVersion, type Check } from './doctor-checks.ts';
import { dockerChecks, kernelSeccomp, probeDocker, probeIsolate, routingCheck, runtimeCheck } from './doctor-probes.ts';
import { escapeControls } from './terminal.ts';
import { EXIT, type Command } from './types.ts';

const DOCTOR_HELP = `Usage: palisade doctor

Checks, with a one-line fix for each problem:
  node       Node.js is version 24 or newer
  config     the PALISADE_* environment parses
  isolate    an isolate host child starts and runs the echo action
  docker     the Docker daemon is reachable (a warning unless PALISADE_SANDBOX_BACKEND=docker)
  seccomp    the daemon reports seccomp support and the kernel has it (when Docker is there)
  runtime    runc or runsc (gVisor) for the workers, per PALISADE_DOCKER_RUNTIME (when Docker is there)
  routing    where each risk class's tools run with this mode, and whether the worker image exists
  data dir   PALISADE_DATA_DIR and audit/ are 0700; database, key and log files 0600, not symlinks
  audit key  PALISADE_AUDIT_KEY is set or <data>/audit.key exists (required once a log exists)
Read-only: it creates and changes nothing.

Options:
  -h, --help   show this help

Exit codes:
  0  every check passed (warnings allowed)
  1  at least one check failed
  2  invalid configuration (listed under "config"; the other checks still run)
  3  runtime error`;

const MARK: Record<Check['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export const doctor: Command = {
  summary: 'check Node, sandboxes, Docker/seccomp, data dir permissions and keys',
  help: DOCTOR_HELP,
  async run(argv, io) {
    const p = parse(argv, {}, { min: 0, max: 0 });
    if (p.help) return (io.out(`${DOCTOR_HELP}\n`), EXIT.OK);
    const parsed = parseConfig(io.env);
    const checks: Check[] = [checkNodeVersion(process.version), checkConfig(parsed)];
    const print = (c: Check): void => {
      io.out(`${MARK[c.status]}  ${c.name.padEnd(9)}  ${escapeControls(c.detail)}\n`);
      if (c.status !== 'ok' && c.fix !== undefined) io.out(`${' '.repeat(17)}fix: ${escapeControls(c.fix)}\n`);
    };
    checks.forEach(print);
    const more: Check[] = [await probeIsolate()];
    const mode = parsed.ok ? parsed.config.sandboxBackend : 'auto';
    const dockerProbe = await probeDocker();
    more.push(...dockerChecks(dockerProbe, mode === 'docker', kernelSeccomp()));
    if (dockerProbe.reachable && mode !== 'isolate') more.push(runtimeCheck(parsed.ok ? parsed.config.dockerRuntime : 'auto', dockerProbe, mode === 'docker'));
    more.push(await routingCheck(mode, dockerProbe, more[0]?.status === 'ok'));
    if (parsed.ok) more.push(checkDataDir(parsed.config.dataDir), checkAuditKey(parsed.config.dataDir, parsed.config.auditKeyHex !== undefined));
    more.forEach(print);
    const all = [...checks, ...more];
    const failed = all.filter((c) => c.status === 'fail').length;
    const warned = all.filter((c) => c.status === 'warn').length;
    io.out(`${failed === 0 ? 'doctor: ok' : `doctor: ${failed} check(s) failed`}${warned > 0 ? `, ${warned} warning(s)` : ''}\n`);
    if (!parsed.ok) return EXIT.USAGE;
    return failed > 0 ? EXIT.FAILED : EXIT.OK;
  },
};
