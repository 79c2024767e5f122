/**
 * Container ids (64 hex) and names (docker's rules and generated
 * `adjective_surname` names).
 * @module
 */

import { UsageError } from "../errors.ts";

/** docker's name rule. */
export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A new random 64-hex id. */
export function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** @throws {UsageError} when `name` breaks docker's rule. */
export function validateName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new UsageError(
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
}

const ADJECTIVES = [
  "admiring",
  "agitated",
  "amazing",
  "blissful",
  "bold",
  "brave",
  "busy",
  "charming",
  "clever",
  "cool",
  "dazzling",
  "eager",
  "elated",
  "epic",
  "focused",
  "friendly",
  "funny",
  "gallant",
  "happy",
  "hopeful",
  "jolly",
  "keen",
  "kind",
  "loving",
  "lucid",
  "modest",
  "nifty",
  "peaceful",
  "quirky",
  "relaxed",
  "serene",
  "sharp",
  "stoic",
  "tender",
  "upbeat",
  "vibrant",
  "wizardly",
  "youthful",
  "zealous",
  "zen",
];
const SURNAMES = [
  "albattani",
  "babbage",
  "bell",
  "borg",
  "curie",
  "darwin",
  "dijkstra",
  "einstein",
  "euler",
  "fermi",
  "feynman",
  "galileo",
  "gauss",
  "hopper",
  "hypatia",
  "kepler",
  "knuth",
  "lamport",
  "lovelace",
  "mccarthy",
  "meitner",
  "newton",
  "noether",
  "pascal",
  "pike",
  "ritchie",
  "shannon",
  "thompson",
  "torvalds",
  "turing",
];

/** A random docker-style name not in `taken`. */
export function generateName(taken: Set<string>): string {
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
  for (let i = 0; i < 100; i++) {
    const n = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
    if (!taken.has(n)) return n;
  }
  for (let i = 1;; i++) {
    const n = `${pick(ADJECTIVES)}_${pick(SURNAMES)}${i}`;
    if (!taken.has(n)) return n;
  }
}
