// A hyparquet AsyncBuffer backed by ranged GETs, so a block is read footer first and then only the
// byte ranges of the row groups and columns asked for. Nothing is cached: memory holds at most
// what hyparquet is decoding.
import type { AsyncBuffer } from "hyparquet";
import type { ObjectStore } from "../../storage/object-store";

export interface RangeRead {
  start: number;
  end: number;
}

export function objectAsyncBuffer(store: ObjectStore, key: string, size: number, onRead?: (read: RangeRead) => void): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      onRead?.({ start, end: stop });
      const bytes = await store.getRange(key, start, stop);
      if (bytes.byteLength !== stop - start) {
        throw new Error(`short read of ${key}: asked for ${stop - start} bytes at ${start}, got ${bytes.byteLength}`);
      }
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer);
    },
  };
}
