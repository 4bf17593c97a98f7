// A fake component that ignores SIGTERM, so only SIGKILL ends it. It says "ready" once the
// SIGTERM listener is in place.
Deno.addSignalListener("SIGTERM", () => console.log("ignoring SIGTERM"));
setInterval(() => {}, 60_000);
console.log("ready");
