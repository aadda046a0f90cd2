import { randomInt } from 'node:crypto';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'sharp', 'swift', 'tidy', 'witty'];
const NOUNS = ['babbage', 'curie', 'dijkstra', 'euler', 'gauss', 'hopper', 'knuth', 'lamarr', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak'];

/** Whether `name` is a container name podman accepts. */
export function isValidName(name: string): boolean {
  return NAME.test(name) && name.length <= 253;
}

/** A generated name, `adjective_scientist_NNNN` (podman style, with a number to make clashes rare). */
export function containerName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}_${randomInt(10_000)}`;
}
