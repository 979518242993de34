/**
 * Reading a new password without it ever touching argv: piped stdin (first line, at most
 * 4 KiB read) or, on a terminal, a prompt with echo off, asked twice. Length rule is the
 * HTTP API's: 12 to 1024 characters.
 */
import { CliError, EXIT, usageError, type Io } from './types.ts';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;
const MAX_STDIN_BYTES = 4 * PASSWORD_MAX + 2;

export type PasswordCheck = { ok: true; password: string } | { ok: false; message: string };

/** Takes piped stdin text: drops one trailing newline; refuses more lines, NUL and bad lengths. */
export function passwordFromText(text: string): PasswordCheck {
  const password = text.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(password)) return { ok: false, message: 'the password on stdin must be a single line' };
  if (password.includes('\u0000')) return { ok: false, message: 'the password must not contain NUL' };
  const chars = [...password].length;
  if (chars < PASSWORD_MIN || chars > PASSWORD_MAX) {
    return { ok: false, message: `the password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters (got ${chars})` };
  }
  return { ok: true, password };
}

async function readPiped(stdin: Io['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN_BYTES) throw usageError(`stdin holds more than ${MAX_STDIN_BYTES} bytes; expected one password line`);
    chunks.push(b);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw usageError('the password on stdin is not valid UTF-8');
  }
}

/** One line from a terminal with echo off (raw mode); Ctrl-C aborts. */
function promptHidden(io: Io, prompt: string): Promise<string> {
  const { stdin } = io;
  return new Promise((resolve, reject) => {
    io.err(prompt);
    let value = '';
    stdin.setRawMode?.(true);
    stdin.resume();
    const done = (error: Error | null): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.err('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new CliError(EXIT.USAGE, 'aborted'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (value.length <= 4 * PASSWORD_MAX) value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function readNewPassword(io: Io, fromStdin: boolean): Promise<string> {
  if (fromStdin || io.stdin.isTTY !== true) {
    const checked = passwordFromText(await readPiped(io.stdin));
    if (!checked.ok) throw usageError(checked.message);
    return checked.password;
  }
  const first = passwordFromText(await promptHidden(io, 'New password: '));
  if (!first.ok) throw usageError(first.message);
  const again = await promptHidden(io, 'Repeat password: ');
  if (again !== first.password) throw usageError('the passwords do not match');
  return first.password;
}
