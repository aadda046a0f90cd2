import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';

/** PEM files of a CA made for one test, a server certificate for 127.0.0.1 and a client certificate, both signed by it. */
export interface TestCertificates {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Makes {@link TestCertificates} in `dir` with openssl (EC P-256 keys, valid one day). */
export async function makeTestCertificates(dir: string, options: { signal?: AbortSignal } = {}): Promise<TestCertificates> {
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { signal: options.signal });
  const key = (file: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file);
  await key(at('ca.key'));
  await openssl('req', '-x509', '-new', '-key', at('ca.key'), '-days', '1', '-subj', '/CN=shimkit test CA', '-out', at('ca.pem'));
  const issue = async (name: string, subject: string, extensions: string) => {
    await key(at(`${name}.key`));
    await openssl('req', '-new', '-key', at(`${name}.key`), '-subj', subject, '-out', at(`${name}.csr`));
    await writeFile(at(`${name}.ext`), extensions);
    await openssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`));
  };
  await issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('client', '/CN=shimkit test client', 'extendedKeyUsage=clientAuth\n');
  return { caFile: at('ca.pem'), serverCertFile: at('server.pem'), serverKeyFile: at('server.key'), clientCertFile: at('client.pem'), clientKeyFile: at('client.key') };
}
