import { randomBytes } from 'node:crypto';

/** A new 64-hex-digit id, as Docker uses for containers. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** The 12-character short form Docker prints. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

const adjectives = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'quiet', 'sharp', 'sleepy', 'tender', 'vivid', 'wise', 'zen'];
const nouns = ['albatross', 'beacon', 'capstan', 'dinghy', 'ferry', 'galley', 'harbor', 'keel', 'lantern', 'mooring', 'pier', 'quay', 'rudder', 'schooner', 'tiller', 'wharf'];

/** A random human-friendly container name like `calm_mooring`. */
export function randomName(): string {
  const [a, b] = randomBytes(2);
  return `${adjectives[(a ?? 0) % adjectives.length]}_${nouns[(b ?? 0) % nouns.length]}`;
}
