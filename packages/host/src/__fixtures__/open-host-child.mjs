/* global process */
// Opens a host file in a process of its own. argv: <host file> <die|report|read-memory>
// `die`: SIGKILL without closing it (an unclean close). `report`: prints `opened` or the HostError's
// code and message as JSON, closing the file cleanly. `read-memory`: as `report`, after reading every
// page of every domain's memory (and printing the error that stopped it).
import { HostError, openHost } from '@xen-genid/host';

const [path, action] = process.argv.slice(2);
try {
  const host = openHost(path);
  if (action === 'die') process.kill(process.pid, 'SIGKILL');
  if (action === 'read-memory') {
    try {
      for (const { domid } of host.hypervisor.listDomains()) {
        for (let pfn = 0; pfn < 1024; pfn += 1) host.hypervisor.readPage(domid, pfn);
      }
    } catch (error) {
      if (!HostError.is(error)) throw error;
      process.stdout.write(`read: ${error.code}\n`);
    }
  }
  host.close();
  process.stdout.write('opened\n');
} catch (error) {
  if (!HostError.is(error)) throw error;
  process.stdout.write(`${JSON.stringify({ code: error.code, message: error.message })}\n`);
}
