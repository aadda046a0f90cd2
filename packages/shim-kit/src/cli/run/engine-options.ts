import { Option } from 'commander';
import { ShimError } from '../../errors.js';

/** The parser of a repeatable option: each value added to the ones before. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--format`, podman's output format choice. */
export function formatOption(choices: readonly string[] = ['table', 'json']): Option {
  return new Option('--format <format>', 'output format').choices(choices).default(choices[0]);
}

/** The parser of an option that takes a whole number of `unit` (`--tail 5`, `--time 10`). */
export function wholeNumber(flag: string, unit: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new ShimError('InvalidArgument', `${flag} ${JSON.stringify(value)}: expected a number of ${unit}`);
    return Number(value);
  };
}
