/**
 * What a terminal acts on instead of showing: C0 and C1 control characters (ESC starts the sequences that
 * move the cursor, clear the screen, set the window title or write to the clipboard; U+009B is CSI on its
 * own), DEL, and the invisible marks that reorder or hide text (bidi overrides and isolates, zero-width
 * characters). Job text comes from job handlers and their inputs, so it may carry any of them.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** The same but C0, which JSON.stringify escapes inside strings (its own line breaks must stay). */
const CONTROLS_JSON_LEAVES_RAW = /[\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** One line of job text as it may be printed: line breaks and tabs become spaces, other controls go. */
export function plainText(text: string): string {
  return text.replace(/[\t\n\r]/g, ' ').replace(TERMINAL_CONTROLS, '');
}

/** A job's output text as it may be printed: its line breaks and tabs stay, every other control goes. */
export function outputText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(TERMINAL_CONTROLS, (control) => (control === '\n' || control === '\t' ? control : ''));
}

/**
 * JSON as it may be printed: the same data (JSON.parse gives it back), with every control character that
 * JSON.stringify leaves raw (DEL, C1, bidi and zero-width marks) written as a \u escape.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    CONTROLS_JSON_LEAVES_RAW,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
