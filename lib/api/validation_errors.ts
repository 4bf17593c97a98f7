/**
 * Schema violations as the one-line causes the kafka-monitor logs and REST answers: the field's
 * path, then what is wrong in plain words; ids, patterns and values escaped and capped so an
 * odd input never breaks a log line.
 *
 * @module
 */

import type { ErrorObject } from "ajv";
import { regexError } from "../web/mod.ts";
import { ID_PATTERN } from "./validation.ts";

/** One schema violation as one printable line, prefixed with the field's path. */
export function formatSchemaError(error: ErrorObject): string {
  const path = error.instancePath;
  const params = error.params as Record<string, unknown>;
  let message: string;
  switch (error.keyword) {
    case "additionalProperties":
      message = `must NOT have additional property '${
        _printable(String(params.additionalProperty))
      }'`;
      break;
    case "required":
      message = `must have required property '${_printable(String(params.missingProperty))}'`;
      break;
    case "enum":
      message = `must be one of ${(params.allowedValues as unknown[]).map(_json).join(", ")}`;
      break;
    case "pattern":
      message = params.pattern === ID_PATTERN
        ? "must not contain ':', '*' or control characters"
        : `must match pattern ${_json(params.pattern)}`;
      break;
    case "format":
      if (params.format === "http-url") {
        message = `must be an http or https URL with a host, got ${_json(error.data)}`;
        break;
      }
      if (params.format === "regex" && typeof error.data === "string") {
        return `${path || "/"} is not a valid regular expression: ${_regexError(error.data)}`;
      }
      message = error.message ?? "is invalid";
      break;
    default:
      message = error.message ?? `fails ${error.keyword}`;
  }
  return path ? `${path} ${message}` : message;
}

/** Why a pattern cannot run on the crawler's linear-time engine, or null. */
function _regexError(source: string): string | null {
  const reason = regexError(source);
  return reason === null ? null : _printable(reason);
}

/** Escapes control characters and lone surrogates, and caps the length, for messages. */
function _printable(text: string): string {
  const capped = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  return capped.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

function _json(value: unknown): string {
  return _printable(JSON.stringify(value) ?? String(value));
}
