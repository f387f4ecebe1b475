// Preloaded (node --import) into tools the tests run that must stay offline: every outbound connection
// and name lookup is refused and reported on stderr, so a test sees any attempt to phone home.
import dns from 'node:dns';
import net from 'node:net';

const report = (what) => process.stderr.write(`NETWORK ATTEMPT: ${what}\n`);
net.Socket.prototype.connect = function refuseConnect(...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  const target = typeof options === 'object' ? `${options.host ?? options.path}:${options.port ?? ''}` : `${args[1] ?? ''}:${args[0]}`;
  report(`connect ${target}`);
  process.nextTick(() => this.destroy(new Error('network access is refused in this test')));
  return this;
};
const refuseLookup = (hostname, options, callback) => {
  report(`lookup ${hostname}`);
  (typeof options === 'function' ? options : callback)(new Error('network access is refused in this test'));
};
dns.lookup = refuseLookup;
dns.promises.lookup = async (hostname) => {
  report(`lookup ${hostname}`);
  throw new Error('network access is refused in this test');
};
