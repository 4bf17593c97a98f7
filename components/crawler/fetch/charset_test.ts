import assert from "node:assert/strict";
import { decoderFor, detectCharset, isTextual, mimeType } from "./charset.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** `text` as UTF-16 code units with a byte order mark, little- or big-endian. */
function utf16(text: string, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(2 + text.length * 2);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xfeff, littleEndian);
  for (let i = 0; i < text.length; i++) view.setUint16(2 + i * 2, text.charCodeAt(i), littleEndian);
  return bytes;
}

Deno.test("`detectCharset()` prefers a BOM, then the header, then <meta>", () => {
  const meta = encode('<html><head><meta charset="windows-1251"></head>');
  assert.equal(detectCharset("text/html; charset=UTF-8", meta), "utf-8");
  assert.equal(detectCharset('text/html; charset="iso-8859-1"', meta), "windows-1252");
  assert.equal(detectCharset("text/html;charset=latin1", meta), "windows-1252");
  assert.equal(detectCharset("text/html; charset=bogus", meta), "windows-1251");
  assert.equal(detectCharset("text/html", meta), "windows-1251");
  assert.equal(detectCharset(null, new Uint8Array([0xef, 0xbb, 0xbf, 0x3c])), "utf-8");
  assert.equal(detectCharset(null, new Uint8Array([0xff, 0xfe, 0x3c, 0])), "utf-16le");
  assert.equal(detectCharset(null, new Uint8Array([0xfe, 0xff, 0, 0x3c])), "utf-16be");
  const bomAndMeta = new Uint8Array([0xef, 0xbb, 0xbf, ...meta]);
  assert.equal(detectCharset("text/html", bomAndMeta), "utf-8");
  assert.equal(detectCharset("text/html; charset=koi8-r", bomAndMeta), "utf-8");
});

Deno.test("`detectCharset()` lets a BOM win over a wrong header", () => {
  const text = '<html><head><meta charset="iso-8859-1"></head><body>Grüße, ½ €</body>';
  const wrong = "text/html; charset=iso-8859-1";
  const bodies: [Uint8Array, string][] = [
    [new Uint8Array([0xef, 0xbb, 0xbf, ...encode(text)]), "utf-8"],
    [utf16(text, true), "utf-16le"],
    [utf16(text, false), "utf-16be"],
  ];
  for (const [body, expected] of bodies) {
    for (const header of [wrong, "text/html; charset=utf-8", "text/html", null]) {
      const name = detectCharset(header, body);
      assert.equal(name, expected, `${expected} body, header ${header}`);
      // Decoded with it, the page reads as written, without the BOM.
      assert.equal(decoderFor(name!).decode(body), text, `${expected} body, header ${header}`);
    }
  }
  // Without a BOM the header still wins over <meta>.
  assert.equal(detectCharset("text/html; charset=utf-8", encode(text)), "utf-8");
  // A lone 0xEF 0xBB, or a BOM not at the start, is no BOM.
  assert.equal(detectCharset(wrong, new Uint8Array([0xef, 0xbb, 0x3c])), "windows-1252");
  assert.equal(detectCharset(wrong, new Uint8Array([0x20, 0xef, 0xbb, 0xbf])), "windows-1252");
  assert.equal(detectCharset(wrong, new Uint8Array([0xff])), "windows-1252");
});

Deno.test("`detectCharset()` reads http-equiv and XML declarations in the first 2 KB", () => {
  const httpEquiv = encode(
    '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">',
  );
  assert.equal(detectCharset("text/html", httpEquiv), "shift_jis");
  assert.equal(detectCharset(null, encode("<?xml version='1.0' encoding='GBK'?><a/>")), "gbk");
  const late = encode(" ".repeat(2048) + '<meta charset="koi8-r">');
  assert.equal(detectCharset("text/html", late), null);
  assert.equal(detectCharset("text/html", encode("<p>no declaration</p>")), null);
  assert.equal(detectCharset(null, new Uint8Array()), null);
  assert.equal(detectCharset(null, encode('<meta charset="utf-16">')), "utf-8");
  assert.equal(detectCharset(null, encode('<meta charset="nope">')), null);
});

Deno.test("`isTextual()` recognises text types and sniffs unknown ones", () => {
  for (
    const type of [
      "text/html",
      "text/plain",
      "text/css",
      "application/xhtml+xml",
      "application/rss+xml",
      "image/svg+xml",
      "application/xml",
      "application/json",
      "application/ld+json",
      "application/javascript",
    ]
  ) {
    assert.equal(isTextual(type), true, type);
  }
  for (const type of ["image/png", "application/pdf", "application/octet-stream", "video/mp4"]) {
    assert.equal(isTextual(type), false, type);
  }
  assert.equal(isTextual(""), true);
  assert.equal(isTextual("", encode("hello")), true);
  assert.equal(isTextual("", new Uint8Array([0x41, 0, 0x42])), false);
  const lateNul = new Uint8Array(2000).fill(0x41);
  lateNul[1500] = 0;
  assert.equal(isTextual("", lateNul), true, "only the first 1 KB is sniffed");
});

Deno.test("`mimeType()` drops parameters and lowercases", () => {
  assert.equal(mimeType("Text/HTML; charset=UTF-8"), "text/html");
  assert.equal(mimeType(" application/json "), "application/json");
  assert.equal(mimeType(""), "");
  assert.equal(mimeType(null), "");
});

Deno.test("`decoderFor()` decodes with the WHATWG encoding, UTF-8 for unknown names", () => {
  assert.equal(decoderFor("latin1").encoding, "windows-1252");
  assert.equal(decoderFor("windows-1252").decode(new Uint8Array([0x80])), "€");
  assert.equal(decoderFor("bogus").encoding, "utf-8");
  assert.equal(decoderFor("utf-8").decode(new Uint8Array([0xff])), "\ufffd");
});
