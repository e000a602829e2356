// The Internet checksum (RFC 1071): IPv4 headers, ICMP, and UDP with its pseudo-header.

/** The one's-complement sum of `data` as 16-bit big-endian words, folded, added to `start`. */
export function onesSum(data: Uint8Array, start = 0): number {
  let sum = start;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field's value for `data` (whose own checksum field is zero). */
export function checksum(data: Uint8Array, start = 0): number {
  return ~onesSum(data, start) & 0xffff;
}
