/**
 * Loading a read image into a new domain: what `xc_domain_restore` does with PAGE_DATA
 * (`process_page_data`: populate, copy each page in) and HVM_PARAMS (`handle_hvm_params`:
 * `xc_hvm_param_set` for each) in `tools/libs/guest/xg_sr_restore.c` / `xg_sr_restore_x86_hvm.c`.
 * TSC_INFO, HVM_CONTEXT and the CPU policy are validated by the reader but have nothing to land on
 * in the simulated hypervisor.
 */
import type { Hypervisor } from '@xen-genid/xc-params';
import { wrapFailure } from '../errors.ts';
import { pageBatches } from '../stream/image-pages.ts';
import type { SaveImage } from '../stream/save-image.ts';

/** A hypervisor that can run many calls as one atomic write (the SQLite host's `batch`). */
interface BatchingHypervisor extends Hypervisor {
  batch<T>(body: () => T): T;
}

function canBatch(hypervisor: Hypervisor): hypervisor is BatchingHypervisor {
  return typeof (hypervisor as Partial<BatchingHypervisor>).batch === 'function';
}

/**
 * Writes the image's pages and params into domain `domid` (a new, empty, paused domain), in one
 * write when the hypervisor offers `batch` (all or nothing, and one transaction instead of one per
 * page). Pages still in the save file are read from it batch by batch as they are written.
 */
export function applySaveImage(hypervisor: Hypervisor, domid: number, image: SaveImage): void {
  const load = () => {
    for (const batch of pageBatches(image.libxc.pages)) hypervisor.writePages(domid, batch);
    for (const [index, value] of image.libxc.params) hypervisor.writeParam(domid, index, value);
  };
  try {
    if (canBatch(hypervisor)) hypervisor.batch(load);
    else load();
  } catch (error) {
    throw wrapFailure(`restoring the memory of domain ${domid}`, error);
  }
}
