// A fake component that says "crashing" and exits at once with code 1 (or the first argument).
console.log("crashing");
Deno.exit(Number(Deno.args[0] ?? 1));
