/** `palisade receipt verify FILE [--key PEM|--url URL]`: checks a call receipt offline. */
import { readFileSync } from 'node:fs';
import { verifyReceipt } from '../../agent-gateway/receipts/receipt.ts';
import { parse, str } from './args.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group } from './types.ts';

const VERIFY_HELP = `Usage: palisade receipt verify FILE [--key PEM_FILE | --url URL]

Verifies one call receipt (a JSON file holding the receipt, or a call body with a "receipt"
field) against the gateway's Ed25519 public key: from a PEM file (--key, fully offline) or
from GET <URL>/receipts/key of a gateway on this machine (--url, default http://127.0.0.1:8080).
Prints "ok" or the field that is wrong.

Options:
  --key PEM_FILE   the public key (PEM) from GET /receipts/key
  --url URL        a local gateway to read the key from (loopback only)
  -h, --help       show this help

${EXIT_CODES_HELP}
  (1 here: the receipt does not verify)`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const verify: Command = {
  summary: 'verify a signed call receipt offline',
  help: VERIFY_HELP,
  async run(argv, io) {
    const p = parse(argv, { key: { type: 'string' }, url: { type: 'string' } }, { min: 1, max: 1 });
    if (p.help) return (io.out(`${VERIFY_HELP}\n`), EXIT.OK);
    const file = p.positionals[0] as string;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw usageError(`cannot read ${file} as JSON: ${(error as Error).message.slice(0, 200)}`);
    }
    const receipt = doc !== null && typeof doc === 'object' && 'receipt' in doc ? (doc as { receipt: unknown }).receipt : doc;
    const keyFile = str(p, 'key');
    let pem: string;
    if (keyFile !== undefined) {
      pem = readFileSync(keyFile, 'utf8');
    } else {
      const base = new URL(str(p, 'url') ?? 'http://127.0.0.1:8080');
      if (!LOOPBACK.has(base.hostname)) throw usageError('--url must be a gateway on this machine (127.0.0.1, localhost or [::1])');
      const res = await fetch(new URL('/receipts/key', base));
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
