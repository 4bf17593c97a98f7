/**
 * The network guard's settings, one table for every component that fetches or accepts URLs
 * (the crawler guards its downloads with them; the kafka-monitor and REST refuse seeds whose
 * host is a refused address literal). Bad CIDRs stop the component at start, in one line.
 *
 * @module
 */

import { bool, list, SettingsError, type SettingSpec } from "../config/mod.ts";
import { parseCidrs } from "./networks.ts";
import { type NetworkPolicy, networkPolicy } from "./policy.ts";

/** `ALLOW_PRIVATE_ADDRESSES` and `ALLOWED_PRIVATE_NETWORKS`. */
export const NETWORK_GUARD_SETTINGS = {
  ALLOW_PRIVATE_ADDRESSES: bool(
    false,
    "turn the network guard off: fetch loopback, private, link-local and other non-public " +
      "addresses too (tests and local demos)",
  ),
  ALLOWED_PRIVATE_NETWORKS: cidrList(
    [],
    "CIDRs the network guard lets through although not public, e.g. 10.1.0.0/16,fd00::/8 " +
      "(a bare address is one host)",
  ),
};

/** What the guard reads of a component's settings. */
export interface NetworkGuardSettings {
  readonly ALLOW_PRIVATE_ADDRESSES: boolean;
  readonly ALLOWED_PRIVATE_NETWORKS: readonly string[];
}

/** The policy of a component's settings. */
export function policyFromSettings(settings: NetworkGuardSettings): NetworkPolicy {
  return networkPolicy({
    allowPrivate: settings.ALLOW_PRIVATE_ADDRESSES,
    allowedNetworks: settings.ALLOWED_PRIVATE_NETWORKS,
  });
}

/** A list setting whose every entry must be a CIDR (see `parseCidr`). */
export function cidrList(def: string[], doc: string): SettingSpec<string[]> {
  const base = list(def, doc);
  return {
    ...base,
    parse(raw, name) {
      const value = base.parse(raw, name);
      try {
        parseCidrs(value);
      } catch (err) {
        throw new SettingsError(`Cannot start: setting ${name}: ${(err as Error).message}`);
      }
      return value;
    },
  };
}
