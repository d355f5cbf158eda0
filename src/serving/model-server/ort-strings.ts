/**
 * BYTES elements ↔ onnxruntime-node string tensor elements.
 *
 * The protocol's BYTES elements are arbitrary bytes; ONNX's string type is UTF-8 by the ONNX spec,
 * and onnxruntime-node only takes and returns JS strings: on the way in it encodes each to UTF-8 and
 * copies it as a C string (measured with onnxruntime-node 1.30: everything after the first U+0000 is
 * dropped); on the way out it decodes UTF-8 (invalid sequences become U+FFFD). So an element reaches
 * the model byte-exact only if it is valid UTF-8 without a 0x00 byte ("text").
 *
 * Per request: when every BYTES element of every input is text, elements go in as their UTF-8
 * decoding (the model sees exactly the bytes sent) and BYTES outputs come back UTF-8 encoded. When
 * any element is not text, the request is "byte-mapped": every BYTES input byte b goes in as the
 * character U+00bb (latin1), except 0x00 which goes in as U+0100; BYTES outputs of that request map
 * back the same way, so a model that passes strings through returns the exact bytes. What the
 * model sees in that mode is the UTF-8 encoding of those characters, not the bytes sent (ASCII
 * bytes other than 0x00 are unchanged). An output element holding a character outside
 * U+0001..U+0100 (the model made it) is UTF-8 encoded.
 */
import { isUtf8 } from 'node:buffer';

/** Stand-in character for the byte 0x00 in byte-mapped requests. */
export const NUL_STAND_IN = 0x100;

/** Whether a BYTES element reaches the model unchanged as an onnxruntime-node string. */
export function isOrtText(b: Uint8Array): boolean {
  return b.indexOf(0) < 0 && isUtf8(b);
}

/** Whether any element of these BYTES tensors needs byte mapping. */
export function needsByteMapping(tensors: ReadonlyArray<readonly Uint8Array[]>): boolean {
  for (const t of tensors) for (const e of t) if (!isOrtText(e)) return true;
  return false;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** BYTES elements → strings for an onnxruntime string tensor. */
export function bytesToOrtStrings(elements: readonly Uint8Array[], mapped: boolean): string[] {
  const out = new Array<string>(elements.length);
  for (let i = 0; i < elements.length; i++) {
    const b = asBuffer(elements[i]);
    if (!mapped) {
      out[i] = b.toString('utf8');
      continue;
    }
    const s = b.toString('latin1');
    out[i] = b.indexOf(0) < 0 ? s : s.replaceAll('\u0000', String.fromCharCode(NUL_STAND_IN));
  }
  return out;
}

function mappedBytes(s: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === NUL_STAND_IN) out[i] = 0;
    else if (c >= 1 && c <= 0xff) out[i] = c;
    else return undefined;
  }
  return out;
}

/** Strings from an onnxruntime string tensor → BYTES elements (see the module comment for `mapped`). */
export function ortStringsToBytes(strings: readonly string[], mapped: boolean): Buffer[] {
  const out = new Array<Buffer>(strings.length);
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    out[i] = (mapped ? mappedBytes(s) : undefined) ?? Buffer.from(s, 'utf8');
  }
  return out;
}
