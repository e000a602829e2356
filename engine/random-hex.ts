/** `chars` random lowercase hex digits: container, exec and anonymous volume IDs. */
export function randomHex(chars: number): string {
  const b = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, chars);
}
