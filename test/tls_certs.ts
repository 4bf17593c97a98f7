/**
 * Throw-away certificates for the TLS tests, made with `openssl` in a temporary folder: a CA, a
 * server certificate it signs for `localhost` and `127.0.0.1`, a client certificate it signs, and
 * a second CA that signed none of them (the "wrong CA").
 *
 * @module
 */

/** Paths of the PEM files {@linkcode makeTestCertificates} wrote. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCaCert: string;
  /** Removes the folder. */
  cleanup(): Promise<void>;
}

async function _openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output()
    .catch((err) => {
      throw new Error(`Cannot run openssl (install it: apt-get install openssl): ${err}`);
    });
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

async function _ca(dir: string, name: string): Promise<void> {
  await _openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  ]);
}

async function _signed(dir: string, name: string, ext: string): Promise<void> {
  await _openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await _openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
}

/** Writes a CA, a server and a client certificate it signs, and an unrelated CA. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "crawl-cluster-tls-" });
  try {
    await _ca(dir, "ca");
    await _ca(dir, "other-ca");
    await _signed(
      dir,
      "server",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    await _signed(dir, "client", "extendedKeyUsage=clientAuth\n");
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  return {
    dir,
    caCert: `${dir}/ca.crt`,
    serverCert: `${dir}/server.crt`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
    otherCaCert: `${dir}/other-ca.crt`,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
