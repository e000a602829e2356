// Docker-style random names: adjective_surname (a short list of Docker's own words).
const LEFT = [
  'admiring',
  'brave',
  'clever',
  'dazzling',
  'eager',
  'elegant',
  'festive',
  'focused',
  'gifted',
  'happy',
  'jolly',
  'keen',
  'loving',
  'modest',
  'nifty',
  'quirky',
  'relaxed',
  'serene',
  'sharp',
  'trusting',
  'vibrant',
  'wizardly',
  'youthful',
  'zealous',
];
const RIGHT = [
  'albattani',
  'babbage',
  'curie',
  'darwin',
  'einstein',
  'feynman',
  'galileo',
  'hopper',
  'johnson',
  'kepler',
  'lovelace',
  'meitner',
  'newton',
  'noether',
  'pascal',
  'ritchie',
  'shannon',
  'thompson',
  'torvalds',
  'turing',
  'wozniak',
  'yalow',
];

export function randomName(taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const l = LEFT[Math.floor(Math.random() * LEFT.length)]!;
    const r = RIGHT[Math.floor(Math.random() * RIGHT.length)]!;
    const name = i < 10 ? `${l}_${r}` : `${l}_${r}${i}`;
    if (!taken(name)) return name;
  }
}

/** Docker's container name rule. */
export const CONTAINER_NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
