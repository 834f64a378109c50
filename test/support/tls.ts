/** Self-signed TLS certificates for test servers, made with openssl. */
import { join } from 'node:path';
import { run } from './exec.js';

export interface Certificate {
  /** PEM certificate file. */
  certificate: string;
  /** PEM private key file (unencrypted). */
  key: string;
}

/** A one-day self-signed certificate in `dir` for the given IP addresses and DNS names. */
export async function selfSignedCertificate(dir: string, names: { ips?: string[]; dns?: string[] }): Promise<Certificate> {
  const certificate = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const san = [...(names.ips ?? []).map((ip) => `IP:${ip}`), ...(names.dns ?? []).map((d) => `DNS:${d}`)].join(',');
  const subject = names.dns?.[0] ?? names.ips?.[0] ?? 'localhost';
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${subject}`, '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', certificate]);
  return { certificate, key };
}
