// A fake component: once its SIGTERM listener is in place, prints "ready" (and its REDIS_URL)
// on stdout, a line on stderr and an unended line, then waits; on SIGTERM it says "bye" and
// exits 0. Needs --allow-env.
const timer = setInterval(() => {}, 60_000);
Deno.addSignalListener("SIGTERM", () => {
  console.log("\nbye");
  clearInterval(timer);
  Deno.exit(0);
});
console.log(`ready REDIS_URL=${Deno.env.get("REDIS_URL") ?? ""}`);
console.error("a line on stderr");
Deno.stdout.writeSync(new TextEncoder().encode("first\r\nsecond\nno newline at the end"));
