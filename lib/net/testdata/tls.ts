/** The test CA and server certificate of this folder (see README.md), as PEM text. */

const read = (name: string) => Deno.readTextFileSync(new URL(name, import.meta.url));

/** The test CA, to trust with `caCerts`. */
export const TEST_CA: string = read("./ca.pem");
/** A certificate for public-looking.example, localhost, 127.0.0.1 and ::1, signed by the CA. */
export const TEST_CERT: string = read("./cert.pem");
/** The certificate's private key. */
export const TEST_KEY: string = read("./key.pem");
