'use strict';
// Loads the addon built by `node build.js` (the install script). Never throws: when the build is
// missing or cannot load, exports { loaded: false, error } and the caller uses its fallback.
const path = require('node:path');

const file = path.join(__dirname, 'build', 'Release', 'runnel_crc32c.node');
try {
  const addon = require(file);
  module.exports = {
    loaded: true,
    crc32c: addon.crc32c,
    crc32cPortable: addon.crc32cPortable,
    crc32c3way: addon.crc32c3way ?? null,
    crc32cVpclmul: addon.crc32cVpclmul ?? null,
    implementation: addon.implementation,
    vpclmulMinBytes: addon.vpclmulMinBytes ?? 0,
  };
} catch (error) {
  module.exports = { loaded: false, error: String(error && error.message ? error.message : error) };
}
