/**
 * YAML written exactly as PyYAML's `yaml.dump(doc, default_flow_style=False)` writes it, so the
 * domain config in ZooKeeper looks as Scrapy Cluster's tools wrote it: `yaml`'s `stringify` with
 * options (YAML 1.1, sorted keys by code point, unindented sequences, no line folding) and two
 * tags where PyYAML differs — Python's float notation ({@linkcode PyFloat}, `1.0e-05`) and
 * PyYAML's string quoting (ASCII-only escapes, `<<`, `=`, `---`).
 *
 * @module
 */

import {
  type CreateNodeOptions,
  type DocumentOptions,
  type ScalarTag,
  type SchemaOptions,
  stringify,
  type Tags,
  type ToStringOptions,
} from "yaml";

/** `doc` as PyYAML dumps it (numbers as {@linkcode pyNumber} / {@linkcode PyFloat} say). */
export function dumpLikePyYaml(doc: unknown): string {
  return stringify(doc, _PYYAML_DUMP);
}

/** A number PyYAML writes as a float even when whole (`scale: 1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A number as Python types it: an int (exact, any size) when whole, else a float. */
export function pyNumber(n: number): bigint | PyFloat {
  return Number.isInteger(n) ? BigInt(n) : new PyFloat(n);
}

const _STR_TAG = "tag:yaml.org,2002:str";
const _MERGE_TAG = "tag:yaml.org,2002:merge";

/** `yaml.stringify` options that reproduce PyYAML's `dump(doc, default_flow_style=False)`. */
const _PYYAML_DUMP: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  // YAML 1.1, as PyYAML resolves it: strings such as 'yes', '0777', '1:20' or dates are quoted.
  version: "1.1",
  customTags: (tags) => [
    {
      tag: "tag:yaml.org,2002:float",
      default: true,
      identify: (value) => value instanceof PyFloat,
      resolve: Number,
      stringify: (item) => _pyFloat((item.value as PyFloat).value),
    },
    // No merge key: PyYAML's safe loader rejects a bare `<<`, so it is written quoted.
    ...tags.filter((tag) => !_isTag(tag, _MERGE_TAG)).map((tag) =>
      _isTag(tag, _STR_TAG) ? _pyString(tag) : tag
    ),
  ],
  merge: false,
  sortMapEntries: (a, b) => _codePointOrder(String(a.key), String(b.key)),
  aliasDuplicateObjects: false,
  indentSeq: false,
  lineWidth: 0,
};

function _isTag(tag: Tags[number], name: string): tag is ScalarTag {
  return typeof tag === "object" && tag.tag === name && tag.collection === undefined;
}

/**
 * The string tag, writing strings as PyYAML does without `allow_unicode`: anything but
 * printable ASCII double-quoted with escapes; otherwise plain when `yaml` writes it plain,
 * else single-quoted. PyYAML also quotes `<<` and `=` (its merge and value keys) and text
 * starting with a document marker (`---`, `...`).
 *
 * Known differences, none for a domain name (checked against PyYAML 6.0.3 on random configs),
 * and both read the output back the same: `yaml`'s YAML 1.1 schema quotes a few strings PyYAML
 * leaves plain (`y`, `n`, `1e5`, `+.5`, `.`, `09`); keys of 128 characters or more, the empty key
 * and keys with line breaks are written as plain keys, not PyYAML's `? key` form.
 */
function _pyString(tag: ScalarTag): ScalarTag {
  return {
    ...tag,
    stringify(item, ctx, onComment, onChompKeep) {
      const value = String(item.value);
      if (/[^\x20-\x7e]/.test(value)) return _pyDoubleQuoted(value);
      const plain = value !== "<<" && value !== "=" && !/^(?:---|\.\.\.)/.test(value) &&
        tag.stringify!(item, ctx, onComment, onChompKeep) === value;
      return plain ? value : `'${value.replaceAll("'", "''")}'`;
    },
  };
}

// PyYAML's short escapes in double-quoted scalars.
// deno-fmt-ignore
const _ESCAPES: Record<string, string> = {
  "\0": "0", "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
  "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
};

/** A double-quoted scalar as PyYAML writes it: printable ASCII as is, the rest escaped. */
function _pyDoubleQuoted(s: string): string {
  const hex = (cp: number, width: number) => cp.toString(16).toUpperCase().padStart(width, "0");
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (_ESCAPES[ch] !== undefined) out += `\\${_ESCAPES[ch]}`;
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** Python's `str` order (by code point; UTF-16 order differs beyond the BMP). */
function _codePointOrder(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < x.length && i < y.length; i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

/** A float as PyYAML writes it: Python's `repr`, with `.0` forced into exponent forms. */
function _pyFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? ".nan" : n > 0 ? ".inf" : "-.inf";
  // Python and JS both print the shortest round-trip digits; only the notation differs.
  const [mantissa, e] = n.toExponential().split("e");
  const exp = Number(e);
  if (exp >= -4 && exp < 16) {
    const fixed = String(n);
    return fixed.includes(".") ? fixed : `${fixed}.0`;
  }
  const digits = String(Math.abs(exp)).padStart(2, "0");
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}e${exp < 0 ? "-" : "+"}${digits}`;
}
