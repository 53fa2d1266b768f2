import { PcdFormatError } from './errors.js';

/**
 * LZF decompression (liblzf format, as PCD `binary_compressed` uses). Bounds-checked: corrupt input
 * raises PcdFormatError instead of reading or writing out of range.
 */
export function lzfDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const out = new Uint8Array(outputLength);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    const ctrl = input[ip++] ?? 0;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > inLen || op + run > outputLength) {
        throw new PcdFormatError('LZF literal run exceeds the input or output size');
      }
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) {
        if (ip >= inLen) throw new PcdFormatError('LZF stream ends inside a back-reference');
        len += input[ip++] ?? 0;
      }
      if (ip >= inLen) throw new PcdFormatError('LZF stream ends inside a back-reference');
      ref -= input[ip++] ?? 0;
      len += 2;
      if (ref < 0 || op + len > outputLength) {
        throw new PcdFormatError('LZF back-reference points outside the output');
      }
      // Byte by byte: the source may overlap the destination (run-length style copies).
      for (let k = 0; k < len; k++) out[op++] = out[ref++] ?? 0;
    }
  }
  if (op !== outputLength) {
    throw new PcdFormatError(`LZF stream decoded to ${op} bytes, header says ${outputLength}`);
  }
  return out;
}
