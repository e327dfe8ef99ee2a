/**
 * A compact confusable skeleton (after Unicode UTS #39, "skeleton"), for telling whether
 * two chat names would look alike: Cyrillic `а` + `lice` beside Latin `alice`.
 *
 * The full table (confusables.txt, ~6,000 entries) is not shipped; this one covers the
 * scripts that spoof Latin names in practice: the Cyrillic and Greek letters that render
 * as a Latin letter, a few Latin and Armenian lookalikes (dotless ı, script ɑ, ɡ, օ),
 * and digits that pass for letters (0 for o, 1 for l). Fullwidth and mathematical
 * letters need no entry: names are NFKC-normalised before. It works on case-folded
 * text, since names are unique ignoring case: a letter is mapped by its lowercase form,
 * and where only the capital looks Latin (Cyrillic В, Н, К, М, Т) the lowercase is
 * mapped to that letter too, so `ВОВ` and `bob` are one name. Where the capital and the
 * small letter pass for different Latin letters (Greek Η/η: H/n, Μ/μ: M/u), the small
 * letter's look wins. Letters with marks decompose first (NFD), so Cyrillic ё is е.
 *
 * Known gap: Latin capital I passes for small l in many fonts, but names fold case, so
 * `aIice` is the name `aiice`, which this skeleton keeps apart from `alice`.
 *
 * @module
 */

/** Lowercase lookalikes and the Latin letter each passes for. */
const PROTOTYPES: Record<string, string> = {
  // Cyrillic
  "а": "a",
  "в": "b",
  "ԁ": "d",
  "е": "e",
  "һ": "h",
  "н": "h",
  "і": "i",
  "ј": "j",
  "к": "k",
  "ӏ": "l",
  "м": "m",
  "о": "o",
  "р": "p",
  "ԛ": "q",
  "г": "r",
  "с": "c",
  "ѕ": "s",
  "т": "t",
  "у": "y",
  "ү": "y",
  "ԝ": "w",
  "х": "x",
  "ѡ": "w",
  "ь": "b",
  // Greek
  "α": "a",
  "β": "b",
  "ε": "e",
  "η": "n",
  "ι": "i",
  "κ": "k",
  "μ": "u",
  "ν": "v",
  "ο": "o",
  "ρ": "p",
  "τ": "t",
  "υ": "u",
  "χ": "x",
  "γ": "y",
  "ζ": "z",
  // Latin and Armenian lookalikes, digits
  "ı": "i",
  "ɩ": "i",
  "ɑ": "a",
  "ɡ": "g",
  "ʋ": "u",
  "օ": "o",
  "ս": "u",
  "հ": "h",
  "ո": "n",
  "0": "o",
  "1": "l",
};

/**
 * The skeleton of case-folded text: each lookalike replaced by the Latin letter it
 * passes for, in canonical decomposition (NFD), so that two names with equal skeletons
 * look alike. Characters the table does not know stay as they are.
 *
 * @example
 * ```ts
 * skeleton("\u0430lice"); // "alice": Cyrillic а is Latin a
 * skeleton("b0b"); // "bob"
 * skeleton("日本"); // "日本"
 * ```
 */
export function skeleton(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFD")) out += PROTOTYPES[ch] ?? ch;
  return out.normalize("NFD");
}
