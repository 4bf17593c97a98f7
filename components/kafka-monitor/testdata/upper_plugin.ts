// A custom kafka-monitor plugin used by plugin_test.ts: accepts stats requests.
import type { PluginFactory } from "../plugin.ts";

const upper: PluginFactory = () => ({
  name: "UpperHandler",
  schema: "stats",
  handle(request, batch) {
    batch.set(`upper:${request.uuid}`, String(request.appid).toUpperCase());
  },
});

export default upper;
