/** `palisade audit verify|export|tail`: reads the log directly with the key (no gateway needed). */
import { AuditError, toCsv, type AuditEntry, type ReadQuery } from '../../agent-gateway/audit/index.ts';
import { auditLogFile } from '../../agent-gateway/audit/files.ts';
import { enqueueAuditEvent } from '../../agent-gateway/audit/outbox.ts';
import { completeLines, MAX_READ_LIMIT, readEntries, verifyAuditLog } from '../../agent-gateway/audit/reader.ts';
import { parseLine } from '../../agent-gateway/audit/line.ts';
import { dateArg, flag, intArg, parse, str } from './args.ts';
import { checkpointPublicKey, openAuditSource, type AuditSource } from './audit-source.ts';
import { escapeControls } from './terminal.ts';
import { loadConfig } from './config.ts';
import { CliError, EXIT, EXIT_CODES_HELP, usageError, type Command, type Group, type Io } from './types.ts';

const KEY_NOTE = `Reads <PALISADE_DATA_DIR>/audit/audit.jsonl with PALISADE_AUDIT_KEY and/or <data>/audit.key;
works whether or not the gateway is running.`;

const VERIFY_HELP = `Usage: palisade audit verify [--public-key <pem>] [--json]

Verifies the whole audit log: line shape, seq continuity, the sha256 hash chain, each line's
AES-256-GCM tag, every Ed25519-signed checkpoint, and the last committed seq and hash kept in
the sqlite state (truncation, even with the checkpoints deleted: the missing seqs are named).
Damage the gateway recorded at start (truncation, trailing garbage moved aside) fails verify
until acknowledged with "palisade audit acknowledge". Prints "ok" with the number of entries,
or the first bad seq and why.
${KEY_NOTE}

Options:
  --public-key <file>   checkpoint public key (PEM) kept outside the data dir; default
                        <data>/audit-signing.pub
  --json                print the verification result as JSON
  -h, --help            show this help

${EXIT_CODES_HELP}
  (1 here: the log failed verification)`;

const EXPORT_HELP = `Usage: palisade audit export [--since <date>] [--until <date>] [--format json|csv]
                             [--event <type>] [--actor <actor>] [--limit <n>]

Prints decrypted entries in seq order to stdout.
${KEY_NOTE}

Options:
  --since <date>    ISO 8601, inclusive (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)
  --until <date>    ISO 8601, inclusive
  --format <f>      json (default: one JSON array) or csv
  --event <type>    exact type or dotted prefix ("auth" matches auth.login)
  --actor <actor>   exact actor, e.g. admin:alice or agent:bot-1
  --limit <n>       at most n entries, 1-${MAX_READ_LIMIT} (default ${MAX_READ_LIMIT})
  -h, --help        show this help

${EXIT_CODES_HELP}`;

const TAIL_HELP = `Usage: palisade audit tail [-n <count>] [--json]

Prints the last entries of the audit log (default 20), oldest first.
${KEY_NOTE}

Options:
  -n, --lines <n>   how many entries, 1-${MAX_READ_LIMIT} (default 20)
  --json            one JSON object per line
  -h, --help        show this help

${EXIT_CODES_HELP}`;

async function withSource<T>(io: Io, fn: (a: AuditSource, dataDir: string) => Promise<T>): Promise<T> {
  const config = loadConfig(io);
  const src = openAuditSource(config, io);
  try {
    return await fn(src, config.dataDir);
  } catch (error) {
    if (error instanceof AuditError) throw new CliError(EXIT.RUNTIME, `${error.message} (run "palisade audit verify")`);
    throw error;
  } finally {
    src.close();
  }
}

/** One human-readable line per entry; control characters are escaped (JSON, then escapeControls for C1/DEL). */
export function formatEntry(e: AuditEntry): string {
  const subject = e.subject !== undefined ? ` subject=${JSON.stringify(e.subject)}` : e.subject_erased === true ? ' subject=<erased>' : '';
  const data = e.data === undefined ? '' : ` ${JSON.stringify(e.data)}`;
  return escapeControls(`#${e.seq} ${e.ts} ${JSON.stringify(e.type)} ${JSON.stringify(e.actor)} ${e.outcome}${subject}${data}`);
}

const verify: Command = {
  summary: 'verify the hash chain, tags and checkpoints; print the first bad seq',
  help: VERIFY_HELP,
  async run(argv, io) {
    const p = parse(argv, { 'public-key': { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${VERIFY_HELP}\n`), EXIT.OK);
    return withSource(io, async (src, dataDir) => {
      const publicKey = checkpointPublicKey(dataDir, str(p, 'public-key'));
      if (publicKey === null) {
        if (!src.hasLog && (src.head?.get()?.seq ?? 0) === 0) {
          io.out(flag(p, 'json') ? `${JSON.stringify({ ok: true, entries: 0, last_checkpoint: null })}\n` : 'ok: no audit log yet (0 entries)\n');
          return EXIT.OK;
        }
        throw new CliError(EXIT.RUNTIME, `no checkpoint public key: restore ${dataDir}/audit-signing.pub or pass --public-key`);
      }
      const result = await verifyAuditLog(dataDir, src.source.keys, publicKey, undefined, src.head);
      if (flag(p, 'json')) io.out(`${JSON.stringify(result)}\n`);
      else if (result.ok) {
        const cp = result.last_checkpoint === null ? 'no checkpoint yet' : `last checkpoint seq ${result.last_checkpoint.seq} at ${result.last_checkpoint.ts}`;
        const torn = result.torn_tail === undefined ? '' : `; note: ${result.torn_tail.bytes} torn byte(s) at the end (an interrupted write, not tampering)`;
        io.out(`ok: ${result.entries} entries verified, ${cp}${torn}\n`);
      } else {
        io.out(`FAILED: first bad seq ${result.first_bad_seq ?? '?'} (${result.reason ?? 'unknown'}${result.code === undefined ? '' : `, ${result.code}`}): ${escapeControls(result.message ?? '')}\n`);
        if (result.missing !== undefined) io.out(`missing: seq ${result.missing.from}..${result.missing.to}\n`);
        io.out(`${result.entries} entries verified before it\n`);
        const open = (result.incidents ?? []).filter((i) => i.acknowledged === undefined);
        if (open.length > 0) io.out(`${open.length} open incident(s) recorded by the gateway; after investigating run: palisade audit acknowledge --note "<why>"\n`);
      }
      return result.ok ? EXIT.OK : EXIT.FAILED;
    });
  },
};

const exportCmd: Command = {
  summary: 'print decrypted entries as JSON or CSV',
  help: EXPORT_HELP,
  async run(argv, io) {
    const p = parse(argv, {
      since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' },
      event: { type: 'string' }, actor: { type: 'string' }, limit: { type: 'string' },
    }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${EXPORT_HELP}\n`), EXIT.OK);
    const format = str(p, 'format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw usageError('--format must be json or csv');
    const since = str(p, 'since');
    const until = str(p, 'until');
    const event = str(p, 'event');
    const actor = str(p, 'actor');
    const limitRaw = str(p, 'limit');
    const query: ReadQuery = {
      limit: limitRaw === undefined ? MAX_READ_LIMIT : intArg('--limit', limitRaw, 1, MAX_READ_LIMIT),
      ...(since === undefined ? {} : { since: dateArg('--since', since) }),
      ...(until === undefined ? {} : { until: dateArg('--until', until) }),
      ...(event === undefined ? {} : { event }),
      ...(actor === undefined ? {} : { actor }),
    };
    if (query.since !== undefined && query.until !== undefined && query.since > query.until) throw usageError('--since is after --until');
    return withSource(io, async (src) => {
      const entries = src.hasLog ? await readEntries(src.source, query) : [];
      if (format === 'csv') io.out(toCsv(entries).replace(/\n?$/, '\n'));
      else io.out(entries.length === 0 ? '[]\n' : `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
      return EXIT.OK;
    });
  },
};

const tail: Command = {
  summary: 'print the last N entries',
  help: TAIL_HELP,
  async run(argv, io) {
    const p = parse(argv, { lines: { type: 'string', short: 'n' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${TAIL_HELP}\n`), EXIT.OK);
    const linesRaw = str(p, 'lines');
    const n = linesRaw === undefined ? 20 : intArg('-n', linesRaw, 1, MAX_READ_LIMIT);
    return withSource(io, async (src, dataDir) => {
      if (!src.hasLog) return EXIT.OK;
      // the seq just before the last n lines (seqs may skip a recorded truncation gap)
      const seqs: number[] = [];
      let position = 0;
      for await (const { text } of completeLines(auditLogFile(dataDir))) {
        const parsed = parseLine(text);
        position = parsed.ok ? parsed.line.seq : position + 1;
        seqs.push(position);
        if (seqs.length > n + 1) seqs.shift();
      }
      const afterSeq = seqs.length > n ? (seqs[0] ?? 0) : 0;
      const entries = await readEntries(src.source, { after_seq: afterSeq, limit: n });
      for (const e of entries) io.out(`${flag(p, 'json') ? JSON.stringify(e) : formatEntry(e)}\n`);
      return EXIT.OK;
    });
  },
};

const ACK_HELP = `Usage: palisade audit acknowledge --note <text> [--id <n>]

Acknowledges damage the gateway recorded at start (a truncated or deleted log, trailing
garbage moved aside, a line that differs from the sqlite head) after you have investigated
it: verify stops failing on it but still lists it. The lost lines are not recovered; keep the
moved-aside files. The acknowledgement itself is audited (through the outbox).
${KEY_NOTE}

Options:
  --note <text>   why it is acceptable (required, up to 500 characters)
  --id <n>        only this incident (default: every open one)
  -h, --help      show this help

${EXIT_CODES_HELP}
  (1 here: no open incident matched)`;

const acknowledge: Command = {
  summary: 'acknowledge recorded audit damage after investigating it',
  help: ACK_HELP,
  async run(argv, io) {
    const p = parse(argv, { note: { type: 'string' }, id: { type: 'string' } }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${ACK_HELP}\n`), EXIT.OK);
    const note = str(p, 'note');
    if (note === undefined || note.trim() === '' || note.length > 500) throw usageError('--note <text> is required (1-500 characters)');
    const idRaw = str(p, 'id');
    const id = idRaw === undefined ? 'all' as const : intArg('--id', idRaw, 1, Number.MAX_SAFE_INTEGER);
    return withSource(io, async (src) => {
      if (src.head === null || src.db === null) throw new CliError(EXIT.RUNTIME, 'no sqlite state in the data directory: nothing to acknowledge');
      const db = src.db;
      const head = src.head;
      db.exec('BEGIN IMMEDIATE');
      let n: number;
      try {
        n = head.acknowledge(id, 'cli', note);
        if (n > 0) enqueueAuditEvent(db, { type: 'audit.incident_acknowledged', actor: 'cli', outcome: 'ok', data: { incidents: n, ...(id === 'all' ? {} : { id }), note } });
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
      io.out(n === 0 ? 'no open incident matched\n' : `acknowledged ${n} incident(s)\n`);
      return n === 0 ? EXIT.FAILED : EXIT.OK;
    });
  },
};

export const auditGroup: Group = {
  summary: 'verify, export and tail the encrypted audit log',
  help: `Usage: palisade audit <command> [options]

Commands:
  verify                                   ${verify.summary}
  export [--since --until --format json|csv]  ${exportCmd.summary}
  tail [-n N]                              ${tail.summary}
  acknowledge --note <text> [--id N]       ${acknowledge.summary}

${KEY_NOTE}
Run "palisade audit <command> --help" for details.

${EXIT_CODES_HELP}`,
  commands: { verify, export: exportCmd, tail, acknowledge },
};
