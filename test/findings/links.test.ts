import assert from 'node:assert/strict';
import { createFinding } from '../../src/findings/finding';
import { FINDING_LINKS } from '../../src/findings/links';
import { findingCatalogue } from '../../src/index';

describe('finding documentation links', () => {
  it('every catalogue code has an https link to a Microsoft Learn page', () => {
    const missing = Object.keys(findingCatalogue).filter((code) => !FINDING_LINKS[code]);
    assert.deepEqual(missing, []);
    for (const [code, link] of Object.entries(FINDING_LINKS))
      assert.match(link, /^https:\/\/learn\.microsoft\.com\/azure\/[a-z0-9-]+\/[a-z0-9-]+$/, code);
  });

  it('every finding carries its link', () => {
    const f = createFinding('DNS_NXDOMAIN', { host: 'x.azure-devices-provisioning.net', resolver: 'system' });
    assert.equal(f.link, 'https://learn.microsoft.com/azure/private-link/private-endpoint-dns');
  });
});
