/** `palisade receipt verify FILE [--key PEM|--url URL]`: checks a call receipt offline. */
import { readFileSync } from 'node:fs';
import { diagnoseReceipt, referenceFromBody, type Reference } from '../../agent-gateway/receipts/diagnose.ts';
import { verifyReceipt } from '../../agent-gateway/receipts/receipt.ts';
import { parse, str } from './args.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group, type Io } from './types.ts';

const VERIFY_HELP = `Usage: palisade receipt verify FILE [--key PEM_FILE | --url URL] [--token-file FILE]

Verifies one call receipt (a JSON file holding the receipt, or a call body with a "receipt"
field) against the gateway's Ed25519 public key: from a PEM file (--key, fully offline) or
from GET <URL>/receipts/key of a gateway on this machine (--url, default http://127.0.0.1:8080).
Prints "ok" or the field that is wrong.

When the signature fails, the edited field is named if putting back a reference value makes
the signature verify: the call body around the receipt in FILE (call_id, tool, agent_id,
result), the other decision value, and, with a URL and a token (PALISADE_AGENT_TOKEN of the
calling agent, or --token-file with an agent or admin token), the gateway's own receipt of the
call from GET /tools/calls/:id. Otherwise it says "sig": some signed field or the signature
itself was changed.

Options:
  --key PEM_FILE      the public key (PEM) from GET /receipts/key
  --url URL           a local gateway to read the key (and, with a token, the call) from (loopback only)
  --token-file FILE   a bearer token that may read the call (instead of PALISADE_AGENT_TOKEN)
  -h, --help          show this help

${EXIT_CODES_HELP}
  (1 here: the receipt does not verify)`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const FETCH_TIMEOUT_MS = 10_000;
const TOKEN_MAX_CHARS = 4096;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usageError(`cannot read ${file} as JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

function tokenOf(tokenFile: string | undefined, io: Io): string | undefined {
  const raw = tokenFile === undefined ? io.env['PALISADE_AGENT_TOKEN'] : readFileSync(tokenFile, 'utf8');
  const t = raw?.trim() ?? '';
  if (t.length > TOKEN_MAX_CHARS || /\s/.test(t)) throw usageError('the token must be one line without spaces');
  return t === '' ? undefined : t;
}

/** The gateway's record of the call (with its stored receipt), or a line saying why not. */
async function gatewayReferences(base: URL, token: string, callId: string, io: Io): Promise<Array<{ source: string; fields: Reference }>> {
  const res = await fetch(new URL(`/tools/calls/${encodeURIComponent(callId)}`, base), {
    headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!res.ok) {
    io.err(`palisade: GET /tools/calls/${callId.slice(0, 80)} answered ${res.status}; naming the field from the file alone\n`);
    return [];
  }
  const record = (await res.json()) as { receipt?: unknown };
  const source = `the gateway's record of call ${callId}`;
  const stored = record.receipt !== null && typeof record.receipt === 'object' && !Array.isArray(record.receipt) ? record.receipt as Reference : {};
  return [{ source, fields: stored }, { source, fields: referenceFromBody(record) }];
}

const verify: Command = {
  summary: 'verify a signed call receipt offline',
  help: VERIFY_HELP,
  async run(argv, io) {
    const p = parse(argv, { key: { type: 'string' }, url: { type: 'string' }, 'token-file': { type: 'string' } }, { min: 1, max: 1 });
    if (p.help) return (io.out(`${VERIFY_HELP}\n`), EXIT.OK);
    const file = p.positionals[0] as string;
    const doc = readJson(file);
    const wrapped = doc !== null && typeof doc === 'object' && 'receipt' in doc;
    const receipt = wrapped ? (doc as { receipt: unknown }).receipt : doc;
    const keyFile = str(p, 'key');
    const urlGiven = str(p, 'url');
    const base = keyFile !== undefined && urlGiven === undefined ? undefined : new URL(urlGiven ?? 'http://127.0.0.1:8080');
    if (base !== undefined && !LOOPBACK.has(base.hostname)) throw usageError('--url must be a gateway on this machine (127.0.0.1, localhost or [::1])');
    const token = base === undefined ? undefined : tokenOf(str(p, 'token-file'), io);
    let pem: string;
    if (keyFile !== undefined) {
      pem = readFileSync(keyFile, 'utf8');
    } else {
      const res = await fetch(new URL('/receipts/key', base), { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) {
        io.err(`palisade: GET /receipts/key answered ${res.status}\n`);
        return EXIT.RUNTIME;
      }
      pem = String(((await res.json()) as { public_key?: unknown }).public_key ?? '');
    }
    const r = verifyReceipt(receipt, pem);
    if (r.ok) {
      io.out('ok\n');
      return EXIT.OK;
    }
    if (r.field === 'sig') {
      const rec = receipt as Record<string, unknown>;
      const refs = wrapped ? [{ source: `the call body in ${file}`, fields: referenceFromBody(doc) }] : [];
      if (base !== undefined && token !== undefined) refs.unshift(...await gatewayReferences(base, token, String(rec['call_id']), io));
      const d = diagnoseReceipt(rec, pem, refs);
      if (d.found) {
        const was = d.fields.map((f) => `${f} = ${JSON.stringify(d.signed[f])}`).join(', ');
        io.out(`invalid: ${d.fields.join(', ')}: edited; the signature verifies with ${was} (from ${d.source})\n`);
        return EXIT.FAILED;
      }
    }
    io.out(`invalid: ${r.field === '' ? 'receipt' : r.field}: ${r.message}\n`);
    return EXIT.FAILED;
  },
};

export const receiptGroup: Group = {
  summary: 'signed call receipts',
  help: `Usage: palisade receipt <command>

Commands:
  verify FILE [--key PEM|--url URL]   ${verify.summary}

${EXIT_CODES_HELP}`,
  commands: { verify },
};
