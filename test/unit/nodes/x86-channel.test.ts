import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../../core/concat-bytes.ts';
import { encodeFrame, type Frame, FrameReader } from '../../../node/x86/channel.ts';

const enc = new TextEncoder();
const frames = [
  encodeFrame('O', 3, enc.encode('hello')),
  encodeFrame('X', 3, enc.encode('0')),
  encodeFrame('R', 0),
  encodeFrame('O', 4, new Uint8Array(70_000).fill(7)),
];
const stream = concatBytes(frames);
const read = (feed: (r: FrameReader) => void) => {
  const got: Frame[] = [];
  feed(new FrameReader((f) => got.push(f)));
  return got.map((f) => ({ type: f.type, id: f.id, payload: [...f.payload.subarray(0, 8)], length: f.payload.length }));
};

describe('FrameReader', () => {
  const expected = read((r) => {
    for (const f of frames) r.pushBytes(f);
  });

  it('reads frames whole, and a payload larger than its first buffer', () => {
    expect(expected).toEqual([
      { type: 'O', id: 3, payload: [...enc.encode('hello')], length: 5 },
      { type: 'X', id: 3, payload: [...enc.encode('0')], length: 1 },
      { type: 'R', id: 0, payload: [], length: 0 },
      { type: 'O', id: 4, payload: [7, 7, 7, 7, 7, 7, 7, 7], length: 70_000 },
    ]);
  });

  it('gives the same frames byte by byte (a serial port) and in chunks that split headers and payloads (a virtio console)', () => {
    expect(read((r) => stream.forEach((b) => r.push(b)))).toEqual(expected);
    for (const size of [1, 4, 9, 10, 4096, 65_536]) {
      expect(
        read((r) => {
          for (let at = 0; at < stream.length; at += size) r.pushBytes(stream.subarray(at, at + size));
        }),
        `chunks of ${size}`,
      ).toEqual(expected);
    }
  });
});
