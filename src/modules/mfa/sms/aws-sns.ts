// Amazon SNS Publish to a phone number through the query API, signed with Signature
// Version 4 (aws4). The endpoint is configurable (tests point it at a local server).
import aws4 from 'aws4';
import type { SmsProvider } from './provider.ts';

export function createSnsProvider(opts: { accessKeyId: string; secretAccessKey: string; region: string; endpoint?: string | undefined }): SmsProvider {
  const endpoint = new URL(opts.endpoint ?? `https://sns.${opts.region}.amazonaws.com`);
  return {
    name: 'aws_sns',
    async send(to, text) {
      const body = new URLSearchParams({
        Action: 'Publish', Version: '2010-03-31', PhoneNumber: to, Message: text,
        'MessageAttributes.entry.1.Name': 'AWS.SNS.SMS.SMSType',
        'MessageAttributes.entry.1.Value.DataType': 'String',
        'MessageAttributes.entry.1.Value.StringValue': 'Transactional',
      }).toString();
      const signed = aws4.sign({
        host: endpoint.host, path: endpoint.pathname || '/', method: 'POST', service: 'sns', region: opts.region, body,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      }, { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey });
      // fetch sets Host and Content-Length itself, to the same values that were signed.
      const headers = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => [k, String(v)]));
      const res = await fetch(new URL(signed.path ?? '/', endpoint), { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`SNS answered HTTP ${res.status}`);
    },
  };
}
