// Byte helpers for the encoders: model IDs are hex strings, the wire wants bytes or base64.

const HEX_PAIR = /^(?:[0-9a-fA-F]{2})*$/;

/** Bytes of an even-length hex string, or undefined when the text is not hex (a malformed ID). */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (!HEX_PAIR.test(hex)) return undefined;
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Standard base64 (with padding), as Go's encoding/json writes []byte. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

const utf8 = new TextEncoder();

/**
 * Wire bytes for a model ID. Hex IDs become their bytes; a malformed (non-hex) ID, which a decoder
 * keeps as its raw text, is written as that text's UTF-8 so that it stays visibly broken.
 */
export function idToBytes(id: string): Uint8Array {
  return hexToBytes(id) ?? utf8.encode(id);
}
