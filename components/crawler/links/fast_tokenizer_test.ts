import assert from "node:assert/strict";
import { Tokenizer } from "htmlparser2";
import { FastTokenizer } from "./fast_tokenizer.ts";
import { PAGE } from "./testdata/links.ts";

type Callbacks = ConstructorParameters<typeof Tokenizer>[1];
type Event = [string, ...number[]];

/** Records every callback with its arguments (positions, quote kinds, code points). */
function recorder(events: Event[]): Callbacks {
  const names = [
    "onattribdata",
    "onattribentity",
    "onattribend",
    "onattribname",
    "oncdata",
    "onclosetag",
    "oncomment",
    "ondeclaration",
    "onend",
    "onopentagend",
    "onopentagname",
    "onprocessinginstruction",
    "onselfclosingtag",
    "ontext",
    "ontextentity",
  ];
  return Object.fromEntries(
    names.map((name) => [name, (...args: number[]) => events.push([name, ...args])]),
  ) as unknown as Callbacks;
}

/** The events of `chunks` written one after the other, by the tokenizer class given. */
function tokenize(
  Kind: typeof Tokenizer,
  chunks: string[],
  decodeEntities: boolean,
  xmlMode = false,
): Event[] {
  const events: Event[] = [];
  const tokenizer = new Kind({ decodeEntities, xmlMode }, recorder(events));
  for (const chunk of chunks) tokenizer.write(chunk);
  tokenizer.end();
  return events;
}

const DOCUMENTS = [
  "",
  "plain text, no tag at all",
  "<",
  "a<",
  "<a href='x'>one</a><b>two</b> three & four &amp; five",
  `<a href="/q?a=1&amp;b=2" title='it&#39;s'>x</a><area href=/nq shape=rect>`,
  "<!-- a comment with <a href='/no'> inside --><a href=/yes>yes</a>",
  "<!-- unterminated comment <a href=/no>",
  "<!--->--><!---->-->x<!-- -- --->y",
  "<![CDATA[ <a href=/cdata> ]]]> after",
  "<script>if (a < b) { document.write('<a href=/s>') }</script><a href=/after>a</a>",
  "<style>a > b { color: red }</style><STYLE>x</STYLE >",
  "<title>a <b> title</title><textarea><a href=/t></textarea><xmp><i></xmp>",
  "<!DOCTYPE html><?php echo 1 ?><a href=/p>p</a>",
  '<a href="unterminated',
  "<a href='single",
  "<a href=noquote",
  "<a href",
  "</",
  "</a",
  "< a>not a tag</ a>",
  "<a/><br/><img src=x />",
  "text &notanentity; &#x1F600; &#128512; &lt;&gt;",
  "<div>\u00e9\u4e2d\u{1F600}<a href='/caf\u00e9'>caf\u00e9</a></div>",
  PAGE,
  `${"filler text ".repeat(2000)}<a href=/far>far</a>${"more ".repeat(3000)}`,
];

Deno.test("`FastTokenizer` emits exactly htmlparser2's events, entities decoded or not", () => {
  for (const decodeEntities of [false, true]) {
    for (const doc of DOCUMENTS) {
      assert.deepEqual(
        tokenize(FastTokenizer, [doc], decodeEntities),
        tokenize(Tokenizer, [doc], decodeEntities),
        `decodeEntities=${decodeEntities}: ${doc.slice(0, 60)}`,
      );
    }
  }
});

Deno.test("`FastTokenizer` emits the same events when the page comes in chunks", () => {
  for (const doc of DOCUMENTS) {
    for (const size of [1, 7, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < doc.length; i += size) chunks.push(doc.slice(i, i + size));
      assert.deepEqual(
        tokenize(FastTokenizer, chunks, false),
        tokenize(Tokenizer, chunks, false),
        `chunks of ${size}: ${doc.slice(0, 60)}`,
      );
    }
  }
});

Deno.test("`FastTokenizer` emits the same events in XML mode", () => {
  for (const doc of DOCUMENTS) {
    assert.deepEqual(
      tokenize(FastTokenizer, [doc], false, true),
      tokenize(Tokenizer, [doc], false, true),
    );
  }
});

Deno.test("`FastTokenizer` leaves htmlparser2's own Tokenizer unchanged", () => {
  assert.notEqual(
    (FastTokenizer.prototype as unknown as Record<string, unknown>).fastForwardTo,
    (Tokenizer.prototype as unknown as Record<string, unknown>).fastForwardTo,
  );
});
