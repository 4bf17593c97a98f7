// A redis-monitor plugin for the tests: fails on every job of its pattern.
import type { PluginFactory } from "../plugin.ts";

const failing: PluginFactory = () => ({
  name: "FailingMonitor",
  pattern: "failing:*",
  handle() {
    return Promise.reject(new Error("this plugin always fails"));
  },
});

export default failing;
