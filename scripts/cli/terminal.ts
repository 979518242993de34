/**
 * Text that came from storage, the audit log or the Docker daemon is untrusted when it is
 * printed to a terminal: C0/C1 control characters and DEL (escape sequences, carriage returns
 * that overwrite a line) are shown as \uXXXX instead. Newlines and tabs in our own layout are
 * kept by the callers passing only field values through here.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
